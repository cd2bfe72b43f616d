package org.dapstream.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.admission.StreamCaps;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.dapstream.transport.WebSocketSettings;
import org.dapstream.transport.WebSocketStreamServer;

import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The stream server a run starts in its own JVM when there is no {@code --target}: loopback,
 * a random port, the diagnostic services, and (when secure) a fresh identity of
 * {@code --identity}'s algorithm.
 */
final class EmbeddedServer implements AutoCloseable {
    private final Vertx vertx;
    private final StreamServer server;
    /** Streams over WebSocket through the same server; null when the phase runs over TCP only. */
    private WebSocketStreamServer webSocket;

    private EmbeddedServer(Vertx vertx, StreamServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Starts a server for one phase of {@code options}; fails the run if it does not listen in time. */
    static EmbeddedServer start(BenchOptions options) throws BenchFailure {
        return start(options, false);
    }

    /**
     * The same, also serving WebSocket streams ({@code /stream} on a port of their own, one
     * HTTP server per server loop) when {@code webSocket}.
     */
    static EmbeddedServer start(BenchOptions options, boolean webSocket) throws BenchFailure {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.serverLoops()));
        StreamSecurity security = null;
        if (options.secure()) {
            SecureRandom random = new SecureRandom();
            // Accepts acknowledgements as a node does by default: whether a phase has them is the client's offer.
            security = StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(options.identity(), random), random)
                    .withFeatures(Features.ACKS));
        }
        StreamServer server = new StreamServer(vertx, new StreamServerOptions(BenchOptions.EMBEDDED_HOST, 0,
                options.serverLoops(), StreamTestbed.streamConfig(options), NodeAddress.NONE, security, gateFor(options.connections()),
                capsFor(options.connections())),
                ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
        EmbeddedServer embedded = new EmbeddedServer(vertx, server);
        try {
            server.start().toCompletionStage().toCompletableFuture()
                    .get(Testbed.SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (webSocket) {
                embedded.webSocket = new WebSocketStreamServer(vertx, server, BenchOptions.EMBEDDED_HOST, 0, options.serverLoops(),
                        WebSocketSettings.defaults());
                embedded.webSocket.start().toCompletionStage().toCompletableFuture()
                        .get(Testbed.SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            return embedded;
        } catch (TimeoutException e) {
            embedded.close();
            throw new BenchFailure("timed out after " + BenchOptions.format(Testbed.SETUP_TIMEOUT)
                    + " waiting for the embedded stream server to start");
        } catch (ExecutionException e) {
            embedded.close();
            throw new BenchFailure("the embedded stream server did not start: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            embedded.close();
            throw new BenchFailure("interrupted while starting the embedded stream server");
        }
    }

    /**
     * Handshake caps that never refuse the load generator: every connection of the run may be
     * in setup at once, and all come from one address. The defaults stay the floor.
     */
    static HandshakeGate gateFor(int connections) {
        return new HandshakeGate(Math.max(HandshakeGate.DEFAULT_MAX_TOTAL, connections),
                Math.max(HandshakeGate.DEFAULT_MAX_PER_ADDRESS, connections),
                Math.max(HandshakeGate.DEFAULT_MAX_PER_PREFIX, connections), HandshakeGate.DEFAULT_FIRST_FRAME_TIMEOUT);
    }

    /** Connection caps that never refuse the load generator either (all its connections come from one address). */
    static StreamCaps capsFor(int connections) {
        return new StreamCaps(Math.max(StreamCaps.DEFAULT_MAX_STREAMS, connections),
                Math.max(StreamCaps.DEFAULT_MAX_STREAMS_PER_ADDRESS, connections));
    }

    String host() {
        return BenchOptions.EMBEDDED_HOST;
    }

    int port() {
        return server.port();
    }

    /** The WebSocket port, -1 when not serving WebSocket. */
    int webSocketPort() {
        return webSocket == null ? -1 : webSocket.port();
    }

    StreamServer server() {
        return server;
    }

    @Override
    public void close() {
        if (webSocket != null) {
            webSocket.stop().toCompletionStage().toCompletableFuture().join();
        }
        server.stop().toCompletionStage().toCompletableFuture().join();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
