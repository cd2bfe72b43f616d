package org.dapstream.bench;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import org.dapstream.client.ClusterChannel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The publisher session of a broadcast run, as tasks on its stream's loop: publishes until
 * {@link ClusterChannel#publish} says wait (then resumes when the channel is writable), or
 * until the in-flight window is full (then looks again after {@link #WINDOW_RETRY_MILLIS}),
 * or until a batch is done (then re-schedules itself so the loop reads and flushes). Each
 * message carries its send time in its first 8 bytes.
 */
final class BroadcastPublisher {
    /** Publishes per turn of the loop at most, as the one-way producer. */
    static final int BATCH_MESSAGES = Producer.BATCH_MESSAGES;
    /** A full in-flight window is looked at again after 1 ms (the finest Vert.x timer). */
    static final long WINDOW_RETRY_MILLIS = 1;
    /** A paced publisher ahead of its schedule looks again after 1 ms: it publishes in 1 ms ticks. */
    static final long PACE_TICK_MILLIS = 1;
    private static final double NANOS_PER_SECOND = 1e9;
    private static final VarHandle STAMP = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final ClusterChannel channel;
    private final String cluster;
    private final Context context;
    private final byte[] payload;
    private final long inFlight;
    /** Publishes per second, {@link BenchOptions#UNLIMITED_RATE} for as fast as allowed. */
    private final long rate;
    private long startNanos;
    private final List<BroadcastMember> members;
    private final Handler<Void> next = v -> publish();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong pressureWaits = new AtomicLong();
    private final AtomicLong windowWaits = new AtomicLong();
    private long sent;
    /** The slowest member's count (received, and missed as its gap notices said) when last looked at. */
    private long slowest;
    private boolean waiting;
    private volatile boolean stopped;

    /** @param inFlight messages beyond the slowest member at most; {@link BenchOptions#NO_IN_FLIGHT_LIMIT} for none */
    BroadcastPublisher(ClusterChannel channel, String cluster, Context context, byte[] payload, long inFlight, long rate,
            List<BroadcastMember> members) {
        this.rate = rate;
        this.channel = channel;
        this.cluster = cluster;
        this.context = context;
        this.payload = payload;
        this.inFlight = inFlight;
        this.members = members;
    }

    void start() {
        context.runOnContext(v -> {
            startNanos = System.nanoTime();
            publish();
        });
    }

    /** Stops after the batch in progress; {@link #published()} is final once the loop has run the stop. */
    void stop() {
        stopped = true;
    }

    /** Stops on the publisher's loop; {@code last} completes there with the final count of messages published. */
    void stopOnLoop(CompletableFuture<Long> last) {
        stopped = true;
        context.runOnContext(v -> last.complete(sent));
    }

    long published() {
        return published.get();
    }

    /** Times {@code publish} answered false (the node's back-pressure). */
    long pressureWaits() {
        return pressureWaits.get();
    }

    /** Times the in-flight window was full. */
    long windowWaits() {
        return windowWaits.get();
    }

    private void publish() {
        if (stopped || waiting) {
            return;
        }
        for (int i = 0; i < BATCH_MESSAGES; i++) {
            if (rate != BenchOptions.UNLIMITED_RATE && sent >= (long) ((System.nanoTime() - startNanos) * (rate / NANOS_PER_SECOND))) {
                waiting = true;
                context.owner().setTimer(PACE_TICK_MILLIS, id -> resume());
                return;
            }
            if (inFlight != BenchOptions.NO_IN_FLIGHT_LIMIT && sent - slowest >= inFlight) {
                slowest = slowest();
                if (sent - slowest >= inFlight) {
                    windowWaits.incrementAndGet();
                    waiting = true;
                    context.owner().setTimer(WINDOW_RETRY_MILLIS, id -> resume());
                    return;
                }
            }
            STAMP.set(payload, 0, System.nanoTime());
            boolean more = channel.publish(cluster, payload);
            published.lazySet(++sent);
            if (!more) {
                pressureWaits.incrementAndGet();
                waiting = true;
                channel.channel().whenWritable().whenComplete((v, e) -> {
                    if (e == null) {
                        context.runOnContext(x -> resume());
                    }
                });
                return;
            }
            if (stopped) {
                return;
            }
        }
        context.runOnContext(next);
    }

    private void resume() {
        waiting = false;
        publish();
    }

    private long slowest() {
        long min = Long.MAX_VALUE;
        for (BroadcastMember m : members) {
            min = Math.min(min, m.received() + m.gapMissed()); // what it was told it missed is behind it too
        }
        return min;
    }
}
