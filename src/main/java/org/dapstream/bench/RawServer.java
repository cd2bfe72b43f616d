package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

/**
 * The raw baseline's receiver: one acceptor per event loop, as {@code StreamServer} runs,
 * each connection counting (one-way) or echoing (ping-pong) {@link RawFormat} messages.
 */
final class RawServer {
    private final Vertx vertx;
    private final Workload workload;
    private final int instances;
    private volatile int port = -1;

    RawServer(Vertx vertx, Workload workload, int instances) {
        this.vertx = vertx;
        this.workload = workload;
        this.instances = instances;
    }

    Future<Void> start() {
        return vertx.deployVerticle(Acceptor::new, new DeploymentOptions().setInstances(instances)).mapEmpty();
    }

    int port() {
        return port;
    }

    private final class Acceptor extends AbstractVerticle {
        @Override
        public void start(Promise<Void> started) {
            NetServer server = vertx.createNetServer(new NetServerOptions()
                    .setHost(BenchOptions.EMBEDDED_HOST)
                    .setPort(0)
                    .setTcpNoDelay(true)
                    .setReuseAddress(true));
            server.connectHandler(socket -> new Peer(socket));
            server.listen().onSuccess(s -> {
                port = s.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }
    }

    /** One client connection, on its event loop. */
    private final class Peer implements RawFrameReader.Sink {
        private final NetSocketInternal socket;
        private final RawBatch out;
        private final RawFrameReader reader = new RawFrameReader();
        private long messages;
        private long bytes;
        private boolean paused;

        Peer(NetSocket netSocket) {
            this.socket = (NetSocketInternal) netSocket;
            this.out = new RawBatch(socket);
            socket.messageHandler(m -> reader.feed(m, this, socket));
            socket.drainHandler(v -> resume());
            socket.closeHandler(v -> out.closed());
            socket.exceptionHandler(e -> socket.close());
        }

        @Override
        public void data(ByteBuf buffer, int index, int length) {
            if (workload == Workload.ONEWAY) {
                messages++;
                bytes += length;
            } else if (!out.write(length, buffer, index, length) && !paused) {
                // As the stream's echo service: stop reading while the answers back up.
                paused = true;
                socket.channelHandlerContext().channel().config().setAutoRead(false);
            }
        }

        @Override
        public void control(ByteBuf buffer, int index, int length) {
            out.writeReport(messages, bytes);
        }

        private void resume() {
            if (paused) {
                paused = false;
                socket.channelHandlerContext().channel().config().setAutoRead(true);
            }
        }
    }
}
