package org.dapstream.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of a node, which the test cuts: {@link #cutAll()} resets
 * both sides of every connection at once, the way a load balancer, a NAT timeout or a pulled
 * cable drops a connection without CLOSE. With {@link #cutRandomly} it also cuts each
 * connection after a random number of bytes, so cuts land mid-frame, mid-handshake and
 * mid-resumption. Forwarding pauses the reading side while the other side's write queue is
 * full, so the proxy itself buffers a bounded amount.
 */
public final class CuttingProxy implements AutoCloseable {
    private final Vertx vertx;
    private final NetServer server;
    private final NetClient client;
    private final Set<NetSocket[]> pairs = ConcurrentHashMap.newKeySet();
    private final AtomicLong cuts = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private volatile long cutAfterMaxBytes;
    private volatile boolean refusing;
    private final SplittableRandom random = new SplittableRandom(7);

    public CuttingProxy(Vertx vertx, int targetPort) throws Exception {
        this.vertx = vertx;
        this.client = vertx.createNetClient();
        this.server = vertx.createNetServer().connectHandler(front -> {
            if (refusing) {
                reset(front);
                return;
            }
            front.pause();
            connections.incrementAndGet();
            client.connect(targetPort, "127.0.0.1").onComplete(ar -> {
                if (ar.failed()) {
                    front.close();
                    return;
                }
                NetSocket back = ar.result();
                NetSocket[] pair = {front, back};
                pairs.add(pair);
                long budget = cutAfterMaxBytes > 0 ? 1 + nextLong(cutAfterMaxBytes) : Long.MAX_VALUE;
                AtomicLong left = new AtomicLong(budget);
                forward(front, back, pair, left);
                forward(back, front, pair, left);
                front.closeHandler(v -> close(pair));
                back.closeHandler(v -> close(pair));
                front.resume();
            });
        });
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private synchronized long nextLong(long bound) {
        return random.nextLong(bound);
    }

    private void forward(NetSocket from, NetSocket to, NetSocket[] pair, AtomicLong left) {
        from.handler(data -> {
            long remaining = left.addAndGet(-data.length());
            if (remaining < 0) {
                int keep = (int) (data.length() + remaining);
                if (keep > 0) {
                    to.write(data.getBuffer(0, keep));
                }
                cut(pair);
                return;
            }
            to.write(data);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
    }

    /** Cuts each new connection after a random number of bytes, up to {@code maxBytes} (0: never). */
    void cutRandomly(long maxBytes) {
        cutAfterMaxBytes = maxBytes;
    }

    /** While on, every new connection is reset at once (the node looks down). */
    public void refuse(boolean on) {
        refusing = on;
    }

    public int port() {
        return server.actualPort();
    }

    /**
     * Resets every connection now, both sides.
     *
     * @return how many connections were cut (none while the client is between connections)
     */
    public int cutAll() {
        int n = 0;
        for (NetSocket[] pair : pairs) {
            n += cut(pair) ? 1 : 0;
        }
        return n;
    }

    private boolean cut(NetSocket[] pair) {
        if (pairs.remove(pair)) {
            cuts.incrementAndGet();
            reset(pair[0]);
            reset(pair[1]);
            return true;
        }
        return false;
    }

    /** An RST: linger 0, then closed beneath Vert.x's pipeline, so nothing queued is flushed first. */
    private static void reset(NetSocket socket) {
        Channel channel = ((NetSocketInternal) socket).channelHandlerContext().channel();
        channel.eventLoop().execute(() -> {
            if (channel.isOpen()) {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
                channel.unsafe().close(channel.voidPromise());
            }
        });
    }

    private void close(NetSocket[] pair) {
        if (pairs.remove(pair)) {
            pair[0].close();
            pair[1].close();
        }
    }

    long cuts() {
        return cuts.get();
    }

    long connections() {
        return connections.get();
    }

    @Override
    public void close() throws Exception {
        cutAll();
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
