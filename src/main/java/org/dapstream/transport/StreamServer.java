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
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.AdmissionCap;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeGate;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamCaps;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.stream.StreamState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The TCP stream endpoint on plain Vert.x (no Quarkus): one acceptor verticle per event
 * loop on a shared port, each connection an accepting {@link Stream}. The Quarkus
 * application starts one; the load generator and tests can start their own.
 */
public final class StreamServer {
    /** The reason text of GOAWAY and of refused connections while draining. */
    public static final String DRAIN_REASON = "node draining";
    /** The reason text of the HANDSHAKE_BUSY that ends a connection evicted for a newer one. */
    public static final String EVICTED_REASON = "no complete frame yet and the handshake slots are full: evicted for a newer connection; retry";
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
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final List<String> deployments = new ArrayList<>();
    private volatile int port = -1;
    /** Set once a drain begins: new connections are refused with ERROR GOING_AWAY. */
    private volatile Drain drain;

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
     * Drains the endpoint: new connections are refused (ERROR GOING_AWAY), every stream is
     * sent GOAWAY with {@code grace}, and the drain completes as soon as the peers have
     * closed their streams. Streams still open when the grace period is over are closed with
     * CLOSE GOING_AWAY; those whose peer does not answer within {@code closeWait} are ended
     * with ERROR GOING_AWAY. Data the peers send meanwhile is delivered as usual. Calling it
     * again returns the drain already under way.
     *
     * @param alternate another member for the peers, {@code host:port}, or empty
     */
    public synchronized CompletableFuture<DrainOutcome> drain(Duration grace, Duration closeWait, String alternate) {
        if (drain != null) {
            return drain.done;
        }
        Drain d = new Drain(streams.size());
        drain = d;
        for (Stream s : streams) {
            s.goAway(grace.toMillis(), alternate, DRAIN_REASON);
        }
        d.checkEmpty();
        long graceTimer = vertx.setTimer(Math.max(1, grace.toMillis()), t -> {
            if (d.done.isDone()) {
                return;
            }
            d.closedAtGrace = streams.size();
            for (Stream s : streams) {
                s.close(ErrorCode.GOING_AWAY, "grace period of " + grace.toMillis() + " ms is over");
            }
            vertx.setTimer(Math.max(1, closeWait.toMillis()), u -> {
                d.aborted = streams.size();
                for (Stream s : streams) {
                    s.abort(ErrorCode.GOING_AWAY, "no answer to CLOSE within " + closeWait.toMillis() + " ms");
                }
                d.finish();
            });
        });
        d.done.whenComplete((o, e) -> vertx.cancelTimer(graceTimer));
        return d.done;
    }

    /** Whether a drain has begun (new connections are refused). */
    public boolean draining() {
        return drain != null;
    }

    /** Ends every stream with GOING_AWAY, stops listening and closes the handshake workers. */
    public Future<Void> stop() {
        for (Stream s : streams) {
            s.abort(ErrorCode.GOING_AWAY, "server stopping");
        }
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
        return options.handshakeGate().inProgress();
    }

    /** Streams in setup that have not yet delivered a complete frame (the ones eviction may end). */
    public int handshakesUnproven() {
        return options.handshakeGate().unproven();
    }

    /** Connections counted against the connection caps now (set up or not). */
    public int connections() {
        return options.streamCaps().streams();
    }

    /** The live streams. */
    public Collection<Stream> streams() {
        return List.copyOf(streams);
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

        /**
         * Admission, in order: the connection caps (RESOURCE_EXHAUSTED over them), then a
         * setup slot (HANDSHAKE_BUSY when none can be had, see {@link HandshakeGate}), then the
         * stream, watched for its first complete frame: until then its slot may be evicted,
         * and it ends at the first-frame deadline.
         */
        private void accept(NetSocket socket) {
            String from = socket.remoteAddress().host();
            StreamCaps caps = options.streamCaps();
            AdmissionCap overStreams = caps.admit(from);
            if (overStreams != null) {
                counters.refused(overStreams, ErrorCode.RESOURCE_EXHAUSTED);
                refuse(socket, ErrorCode.RESOURCE_EXHAUSTED, "too many connections (this node allows " + caps.maxStreams()
                        + ", " + caps.maxPerAddress() + " per address); retry later");
                return;
            }
            HandshakeGate gate = options.handshakeGate();
            AtomicReference<Stream> bound = new AtomicReference<>();
            HandshakeGate.Slot slot = gate.admit(from, () -> {
                // On the newcomer's loop: count here, end the victim on its own loop (abort hands it over).
                counters.evicted();
                if (options.security() != null) {
                    counters.handshake(HandshakeOutcome.REJECTED_BUSY);
                }
                Stream victim = bound.get();
                if (victim != null) {
                    victim.abort(ErrorCode.HANDSHAKE_BUSY, EVICTED_REASON);
                }
            });
            if (slot.refusedBy() != null) {
                caps.release(from);
                refuseBusy(socket, gate, slot.refusedBy());
                return;
            }
            AtomicBoolean counted = new AtomicBoolean(true);
            long firstFrameMillis = gate.firstFrameTimeout().toMillis();
            long firstFrameTimer = vertx.setTimer(firstFrameMillis, id -> {
                Stream s = bound.get();
                if (s != null && slot.isUnproven() && s.state() == StreamState.SETUP) {
                    counters.setupTimeout();
                    if (options.security() != null) {
                        counters.handshake(HandshakeOutcome.TIMEOUT);
                    }
                    s.abort(ErrorCode.SETUP_TIMEOUT, "no complete frame within " + firstFrameMillis + " ms of connecting");
                }
            });
            VertxTransport transport = new VertxTransport(socket);
            transport.onFirstFrame(slot::proven);
            Stream stream = transport.bind(t -> new Stream(StreamRole.ACCEPTOR, t, localNode, new StreamListener() {
                        @Override
                        public void active(Stream stream) {
                            slot.release();
                        }

                        @Override
                        public void closed(Stream stream, CloseReason reason) {
                            slot.release();
                            vertx.cancelTimer(firstFrameTimer);
                            if (counted.compareAndSet(true, false)) {
                                caps.release(from);
                            }
                            streams.remove(stream);
                            Drain d = drain;
                            if (d != null) {
                                d.checkEmpty();
                            }
                        }
                    }));
            bound.set(stream);
            if (slot.evicted()) {
                // Evicted from another loop before the stream existed: end it now (a second abort does nothing).
                stream.abort(ErrorCode.HANDSHAKE_BUSY, EVICTED_REASON);
            }
            if (stream.state() != StreamState.CLOSED) {
                streams.add(stream);
            }
            if (drain != null) {
                // Still in setup: goAway ends it with ERROR GOING_AWAY, nothing was accepted on it.
                stream.goAway(0, "", DRAIN_REASON);
            }
        }

        /** Over a handshake cap: one plaintext ERROR saying so, then the connection ends; no stream, no session. */
        private void refuseBusy(NetSocket socket, HandshakeGate gate, AdmissionCap cap) {
            if (options.security() != null) {
                counters.handshake(HandshakeOutcome.REJECTED_BUSY);
            }
            counters.refused(cap, ErrorCode.HANDSHAKE_BUSY);
            refuse(socket, ErrorCode.HANDSHAKE_BUSY, "too many handshakes in progress (this node allows " + gate.maxTotal() + ", "
                    + gate.maxPerAddress() + " per address, " + gate.maxPerPrefix() + " per network prefix); retry later");
        }

        /** One plaintext ERROR on ch 0 (seq 0), then the connection ends; no stream, no session. */
        private void refuse(NetSocket socket, ErrorCode code, String reason) {
            byte[] error = FrameHeader.frame(PacketType.ERROR, 0, 0, 0, CloseReason.of(code, reason).encode());
            socket.write(Buffer.buffer(error)).onComplete(ar -> socket.close());
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().onComplete(ar -> stopped.complete());
        }
    }

    /** How a drain ended: streams open when it began, closed by their peers, closed at the grace period, ended unanswered. */
    public record DrainOutcome(int streamsAtStart, int closedByPeers, int closedAtGrace, int aborted) {
    }

    private final class Drain {
        final CompletableFuture<DrainOutcome> done = new CompletableFuture<>();
        final int atStart;
        volatile int closedAtGrace = -1;
        volatile int aborted;

        Drain(int atStart) {
            this.atStart = atStart;
        }

        void checkEmpty() {
            if (streams.isEmpty()) {
                finish();
            }
        }

        void finish() {
            int atGrace = Math.max(closedAtGrace, 0);
            done.complete(new DrainOutcome(atStart, closedAtGrace < 0 ? atStart : atStart - atGrace, atGrace - aborted, aborted));
        }
    }
}
