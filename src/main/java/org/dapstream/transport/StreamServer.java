package org.dapstream.transport;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamRole;
import org.dapstream.stream.StreamSecurity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The TCP stream endpoint on plain Vert.x (no Quarkus): one acceptor verticle per event
 * loop on a shared port, each connection, once its {@link Admission} admits it, an
 * accepting {@link Stream} over a {@link TcpConnection}. The Quarkus application starts
 * one; the load generator and tests can start their own.
 */
public final class StreamServer {
    private final Vertx vertx;
    private final StreamServerOptions options;
    private final ChannelRegistry services;
    private final Sessions sessions;
    private final StreamCounters counters;
    /** The options' security, its handshake crypto on {@link #handshakeWorkers}; null when plaintext. */
    private final StreamSecurity security;
    /** What every accepted stream shares: this node's limits, services, sessions, counters and security. */
    private final LocalNode localNode;
    /** Where handshakes sign, exchange keys and verify, off the event loops; closed by {@link #stop()}. */
    private final HandshakeWorkers handshakeWorkers;
    /** The caps, setup slots, live streams and drain of the connections this server accepts. */
    private final Admission admission;
    private final List<String> deployments = new ArrayList<>();
    private volatile int port = -1;

    public StreamServer(Vertx vertx, StreamServerOptions options, ChannelRegistry services,
                        Sessions sessions, StreamCounters counters) {
        this.vertx = vertx;
        this.options = options;
        this.services = services;
        this.sessions = sessions;
        this.counters = counters;
        StreamSecurity given = options.security();
        if (given != null && given.work() instanceof HandshakeWorkers workers) {
            this.handshakeWorkers = workers;
            this.security = given;
        } else if (given != null && given.work() == null) {
            this.handshakeWorkers = HandshakeWorkers.defaults();
            this.security = given.withWork(handshakeWorkers);
        } else {
            this.handshakeWorkers = null; // plaintext, or work the caller runs itself
            this.security = given;
        }
        this.localNode = new LocalNode(options.stream(), StreamClock.SYSTEM, services, sessions, options.node(), counters, security);
        this.admission = new Admission(vertx, options.handshakeGate(), options.streamCaps(), counters, given != null);
    }

    /** Binds and starts accepting; completes once every instance listens. */
    public Future<StreamServer> start() {
        // Instances on one host:port share the listening socket, also for port 0 (Vert.x
        // gives every instance of one deployment the same random port).
        return vertx.deployVerticle(() -> new Acceptor(options.port()),
                        new DeploymentOptions().setInstances(options.effectiveInstances()))
                .onSuccess(deployments::add)
                .map(v -> this);
    }

    /**
     * Drains the endpoint ({@link Admission#drain}): new connections are refused (ERROR
     * GOING_AWAY), every stream is sent GOAWAY with {@code grace}, and the drain completes as
     * soon as the peers have closed their streams, or once the grace period and
     * {@code closeWait} are over. Calling it again returns the drain already under way.
     *
     * @param alternate another member for the peers, {@code host:port}, or empty
     */
    public CompletableFuture<Admission.DrainOutcome> drain(Duration grace, Duration closeWait, String alternate) {
        return admission.drain(grace, closeWait, s -> alternate);
    }

    /** {@link #drain(Duration, Duration, String)} with an alternate chosen for each stream ({@code host:port}, or empty). */
    public CompletableFuture<Admission.DrainOutcome> drain(Duration grace, Duration closeWait, Function<Stream, String> alternates) {
        return admission.drain(grace, closeWait, alternates);
    }

    /** Whether a drain has begun (new connections are refused). */
    public boolean draining() {
        return admission.draining();
    }

    /** Ends every stream with GOING_AWAY, stops listening and closes the handshake workers. */
    public Future<Void> stop() {
        admission.abortAll(ErrorCode.GOING_AWAY, "server stopping");
        List<Future<Void>> undeploys = new ArrayList<>();
        for (String id : deployments) {
            undeploys.add(vertx.undeploy(id));
        }
        deployments.clear();
        return Future.join(new ArrayList<>(undeploys)).onComplete(ar -> {
            if (handshakeWorkers != null) {
                handshakeWorkers.close();
            }
        }).mapEmpty();
    }

    /** The bound port, -1 before {@link #start()} completes. */
    public int port() {
        return port;
    }

    /** Streams in setup now (holding a slot of the handshake caps). */
    public int handshakesInProgress() {
        return admission.handshakesInProgress();
    }

    /** Streams in setup that have not yet delivered a complete frame (the ones eviction may end). */
    public int handshakesUnproven() {
        return admission.handshakesUnproven();
    }

    /** Connections counted against the connection caps now (set up or not). */
    public int connections() {
        return admission.connections();
    }

    /** The live streams. */
    public Collection<Stream> streams() {
        return admission.streams();
    }

    /** Which connections this server serves: its caps, setup slots, live streams and drain. */
    public Admission admission() {
        return admission;
    }

    public Sessions sessions() {
        return sessions;
    }

    public StreamCounters counters() {
        return counters;
    }

    public ChannelRegistry services() {
        return services;
    }

    /**
     * Serves one connection of any binding (TCP, WebSocket) through this server's
     * {@link Admission}: admitted, it becomes an accepting stream, returned; refused,
     * {@code refuse} sends the refusal's ERROR and closes, and the result is null. Call on the
     * connection's event loop.
     *
     * @param host the peer's host, which the per-address caps count
     */
    public Stream serve(ByteConnection connection, String host, Consumer<Admission.Refusal> refuse) {
        Admission.Ticket ticket = admission.admit(host);
        Admission.Refusal refusal = ticket.refusal();
        if (refusal != null) {
            refuse.accept(refusal);
            return null;
        }
        VertxTransport transport = new VertxTransport(connection);
        transport.onFirstFrame(ticket::proven);
        Stream stream = transport.bind(t -> new Stream(StreamRole.ACCEPTOR, t, localNode, ticket.listener()));
        ticket.started(stream);
        return stream;
    }

    private final class Acceptor extends AbstractVerticle {
        private final int bindPort;
        private NetServer server;

        Acceptor(int bindPort) {
            this.bindPort = bindPort;
        }

        @Override
        public void start(Promise<Void> started) {
            NetServerOptions netOptions = new NetServerOptions()
                    .setHost(options.host())
                    .setPort(bindPort)
                    .setTcpNoDelay(true)
                    .setReuseAddress(true);
            server = vertx.createNetServer(netOptions);
            server.connectHandler(this::accept);
            server.listen().onSuccess(s -> {
                port = s.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }

        /** Admitted ({@link Admission#admit}): a stream over the connection; refused: the refusal's ERROR, then the end. */
        private void accept(NetSocket socket) {
            serve(new TcpConnection(socket), socket.remoteAddress().host(),
                    refusal -> socket.write(Buffer.buffer(refusal.frame())).onComplete(ar -> socket.close()));
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().onComplete(ar -> stopped.complete());
        }
    }
}
