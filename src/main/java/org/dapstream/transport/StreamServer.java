package org.dapstream.transport;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.HandshakeGate;
import org.dapstream.stream.HandshakeOutcome;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TCP stream endpoint on plain Vert.x (no Quarkus): one acceptor verticle per event
 * loop on a shared port, each connection an accepting {@link Stream}. The Quarkus
 * application starts one; the load generator and tests can start their own.
 */
public final class StreamServer {
    private final Vertx vertx;
    private final StreamServerOptions options;
    private final ChannelRegistry services;
    private final Sessions sessions;
    private final StreamCounters counters;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final List<String> deployments = new ArrayList<>();
    private volatile int port = -1;

    public StreamServer(Vertx vertx, StreamServerOptions options, ChannelRegistry services,
                        Sessions sessions, StreamCounters counters) {
        this.vertx = vertx;
        this.options = options;
        this.services = services;
        this.sessions = sessions;
        this.counters = counters;
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

    /** Ends every stream with GOING_AWAY and stops listening. */
    public Future<Void> stop() {
        for (Stream s : streams) {
            s.abort(ErrorCode.GOING_AWAY, "server stopping");
        }
        List<Future<Void>> undeploys = new ArrayList<>();
        for (String id : deployments) {
            undeploys.add(vertx.undeploy(id));
        }
        deployments.clear();
        return Future.join(new ArrayList<>(undeploys)).mapEmpty();
    }

    /** The bound port, -1 before {@link #start()} completes. */
    public int port() {
        return port;
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
            server.connectHandler(socket -> {
                String from = socket.remoteAddress().host();
                HandshakeGate gate = options.handshakeGate();
                if (!gate.admit(from)) {
                    refuseBusy(socket, gate);
                    return;
                }
                AtomicBoolean slotHeld = new AtomicBoolean(true);
                Runnable freeSlot = () -> {
                    if (slotHeld.compareAndSet(true, false)) {
                        gate.release(from);
                    }
                };
                VertxTransport transport = new VertxTransport(socket);
                Stream stream = transport.bind(t -> new Stream(StreamRole.ACCEPTOR, options.stream(), t, StreamClock.SYSTEM,
                        services, sessions, options.node(), counters, new StreamListener() {
                            @Override
                            public void active(Stream stream) {
                                freeSlot.run();
                            }

                            @Override
                            public void closed(Stream stream, CloseReason reason) {
                                freeSlot.run();
                                streams.remove(stream);
                            }
                        }, options.security()));
                if (stream.state() != org.dapstream.stream.StreamState.CLOSED) {
                    streams.add(stream);
                }
            });
            server.listen().onSuccess(s -> {
                port = s.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }

        /** Over a handshake cap: one plaintext ERROR saying so, then the connection ends; no stream, no session. */
        private void refuseBusy(NetSocket socket, HandshakeGate gate) {
            if (options.security() != null) {
                counters.handshake(HandshakeOutcome.REJECTED_BUSY);
            }
            byte[] error = FrameHeader.frame(PacketType.ERROR, 0, 0, 0, CloseReason.of(ErrorCode.HANDSHAKE_BUSY,
                    "too many handshakes in progress (this node allows " + gate.maxTotal() + ", " + gate.maxPerAddress()
                            + " per address); retry later").encode());
            socket.write(Buffer.buffer(error)).onComplete(ar -> socket.close());
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().onComplete(ar -> stopped.complete());
        }
    }
}
