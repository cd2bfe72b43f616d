package org.dapstream.it;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.dapstream.transport.WebSocketSettings;
import org.dapstream.transport.WebSocketStreamServer;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real secure stream server on 127.0.0.1 and a free port, outside Quarkus, so a test picks
 * its own {@link StreamConfig} (flow windows, rates, message limits) and services. One event
 * loop, like one connection's view of a production node. Over {@link Transport#WEBSOCKET} the
 * same server also serves WebSocket streams at {@code /stream} on a port of its own, through the
 * same admission, and {@link #connect} and {@link #rawPeer} dial that.
 */
final class LoopbackServer implements AutoCloseable {
    static final int START_TIMEOUT_SECONDS = 10;

    private final Vertx vertx;
    private final StreamServer server;
    private final Transport transport;
    private WebSocketStreamServer webSocket;

    private LoopbackServer(Vertx vertx, StreamServer server, Transport transport) {
        this.vertx = vertx;
        this.server = server;
        this.transport = transport;
    }

    static LoopbackServer start(StreamConfig config, ChannelRegistry services) throws Exception {
        return start(config, services, Transport.TCP);
    }

    static LoopbackServer start(StreamConfig config, ChannelRegistry services, Transport transport) throws Exception {
        return start(config, services, transport, WebSocketSettings.defaults());
    }

    static LoopbackServer start(StreamConfig config, ChannelRegistry services, Transport transport, WebSocketSettings ws)
            throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SecureRandom random = new SecureRandom();
        StreamSecurity security = StreamSecurity.of(HandshakeSettings.defaults(
                NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random), random));
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, config, NodeAddress.NONE,
                security, null), services, new Sessions(), new StreamCounters());
        LoopbackServer started = new LoopbackServer(vertx, server, transport);
        try {
            server.start().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (transport == Transport.WEBSOCKET) {
                started.webSocket = new WebSocketStreamServer(vertx, server, "127.0.0.1", 0, 1, ws);
                started.webSocket.start().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            started.close();
            throw e;
        }
        return started;
    }

    /** The TCP port (also while serving WebSocket). */
    int port() {
        return server.port();
    }

    /** The WebSocket port; -1 over TCP. */
    int webSocketPort() {
        return webSocket == null ? -1 : webSocket.port();
    }

    Transport transport() {
        return transport;
    }

    /** Where WebSocket clients dial: {@code ws://127.0.0.1:port/stream}. */
    URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + webSocketPort() + WebSocketSettings.DEFAULT_PATH);
    }

    StreamServer server() {
        return server;
    }

    /** A hand-driven peer over this server's transport. */
    RawPeer rawPeer(int readTimeoutMillis) throws IOException {
        return transport == Transport.WEBSOCKET ? RawPeer.overWebSocket(webSocketPort(), readTimeoutMillis)
                : new RawPeer(port(), readTimeoutMillis);
    }

    StreamCounters counters() {
        return server.counters();
    }

    /** A secure client (fresh ML-DSA identity, AES-256-GCM) with {@code config}. */
    static StreamClient client(StreamConfig config) {
        return new StreamClient(ClientOptions.defaults().withStream(config));
    }

    /** Connects {@code client} to this server; waits for the setup. */
    Stream connect(StreamClient client) throws Exception {
        if (transport == Transport.WEBSOCKET) {
            return client.connect(webSocketUri()).get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        return client.connect("127.0.0.1", port()).get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** The node goes away without a word: its Vert.x closes, and with it every connection (no ERROR, no CLOSE). */
    void kill() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        try {
            if (webSocket != null) {
                webSocket.stop().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            server.stop().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
