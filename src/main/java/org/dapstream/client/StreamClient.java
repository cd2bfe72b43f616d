package org.dapstream.client;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.TcpConnection;
import org.dapstream.transport.VertxTransport;

import java.util.concurrent.CompletableFuture;

/**
 * The Java client: dials a DAP Stream node and returns a set-up {@link Stream}, on which
 * the application opens channels ({@link Stream#openChannel}), writes, reads and closes.
 * No Quarkus; runs in any JVM application, on its own Vert.x instance or on one it is given.
 *
 * <pre>{@code
 * try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
 *     Stream stream = client.connect("127.0.0.1", 8079).get();
 *     Channel ch = stream.openChannel(ChannelType.ECHO, handler).get();
 *     ch.write(PacketType.DATA, bytes);
 * }
 * }</pre>
 */
public final class StreamClient implements AutoCloseable {
    private final Vertx vertx;
    private final boolean ownsVertx;
    private final NetClient netClient;
    private final ClientOptions options;
    private final StreamCounters counters = new StreamCounters();
    private final ChannelRegistry services;
    /** The handshake's key generation, verification and signing, off the event loop the application may share. */
    private final HandshakeWorkers handshakeWorkers = HandshakeWorkers.defaults();

    /** A client on its own Vert.x instance, closed with the client. */
    public StreamClient(ClientOptions options) {
        this(Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.eventLoops())), true, options, new ChannelRegistry());
    }

    /**
     * A client on the application's Vert.x.
     *
     * @param services handlers for channels the server opens towards this client
     */
    public StreamClient(Vertx vertx, ClientOptions options, ChannelRegistry services) {
        this(vertx, false, options, services);
    }

    private StreamClient(Vertx vertx, boolean ownsVertx, ClientOptions options, ChannelRegistry services) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.options = options;
        this.services = services;
        this.netClient = vertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) options.connectTimeout().toMillis())
                .setTcpNoDelay(true));
    }

    /** Connects and completes with the stream once its setup is done. */
    public CompletableFuture<Stream> connect(String host, int port) {
        return connect(host, port, StreamListener.NONE);
    }

    public CompletableFuture<Stream> connect(String host, int port, StreamListener listener) {
        return connect(host, port, null, listener);
    }

    /**
     * Connects to a known node: the handshake fails with IDENTITY_MISMATCH unless the server
     * proves it is {@code expected} (its identity's address).
     */
    public CompletableFuture<Stream> connect(String host, int port, NodeAddress expected) {
        return connect(host, port, expected, StreamListener.NONE);
    }

    public CompletableFuture<Stream> connect(String host, int port, NodeAddress expected, StreamListener listener) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        HandshakeSettings settings = options.security();
        if (expected != null && settings == null) {
            result.completeExceptionally(new IllegalArgumentException("a plaintext client cannot verify the server's address "
                    + expected + "; enable security"));
            return result;
        }
        StreamSecurity security = settings == null ? null
                : StreamSecurity.of(expected == null ? settings : settings.withExpectedPeer(expected)).withWork(handshakeWorkers);
        netClient.connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                result.completeExceptionally(ar.cause());
                return;
            }
            Stream stream = new VertxTransport(new TcpConnection(ar.result())).bind(t -> new Stream(StreamRole.CONNECTOR, t,
                    new LocalNode(options.stream(), StreamClock.SYSTEM, services, null, options.node(), counters, security), listener));
            stream.ready().whenComplete((s, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(s);
                }
            });
        });
        return result;
    }

    /** Counters over every stream of this client. */
    public StreamCounters counters() {
        return counters;
    }

    public ClientOptions options() {
        return options;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Closes the connections (abruptly; close streams first for an orderly end) and, if owned, the Vert.x instance. */
    @Override
    public void close() {
        netClient.close().toCompletionStage().toCompletableFuture().join();
        handshakeWorkers.close();
        if (ownsVertx) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
