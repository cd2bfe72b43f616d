package org.dapstream.bench;

import io.vertx.core.Handler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ping-pong sender of one lane, on its event loop. Closed loop (no pacer): one message
 * in flight, the next sent when the echo arrives. Open loop: on each {@link Metronome} beat
 * the messages the {@link Pacer} says are due leave. Each message carries the time it was
 * handed to the lane on the event loop, and its latency counts from there: what the stream
 * adds, not how late the generator's own pacing thread woke (that is the separate send lag,
 * and latency plus send lag is the view from the schedule).
 *
 * <p>Only messages due (or sent) inside the measurement window are recorded and counted;
 * the ones in flight when it closes are still waited for, so a slow tail is not dropped.
 */
final class Pinger implements LaneListener {
    private static final VarHandle STAMP = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Lane lane;
    private final byte[] payload;
    private final Pacer pacer;
    private final LatencyRecorder recorder;
    private final LatencyRecorder sendLag;
    private final long windowStart;
    private final long windowEnd;
    private final long quota;
    private final Handler<Void> nextTick = v -> tick();
    private final Handler<Void> resume = v -> resumeSending();
    private final CompletableFuture<Void> quotaReached = new CompletableFuture<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final AtomicLong progress = new AtomicLong();
    private long outstanding;
    private long sentInWindow;
    private long answeredInWindow;
    private long lastAnswerNanos;
    private boolean blocked;
    private boolean stopped;
    /** Set by a metronome beat until the tick it queued has run, so beats never pile up on the loop. */
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private final Handler<Void> beatTick = v -> {
        tickQueued.set(false);
        tick();
    };

    /**
     * @param pacer     null for closed loop
     * @param recorder  shared by the lanes of one event loop
     * @param sendLag   how late open-loop messages left after their due time (the generator's own delay)
     * @param windowEnd {@code Long.MAX_VALUE} when the window ends by count
     * @param quota     messages to measure, {@code Long.MAX_VALUE} when the window ends by time
     */
    Pinger(Lane lane, int size, Pacer pacer, LatencyRecorder recorder, LatencyRecorder sendLag,
           long windowStart, long windowEnd, long quota) {
        this.lane = lane;
        this.payload = new byte[size];
        this.pacer = pacer;
        this.recorder = recorder;
        this.sendLag = sendLag;
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
        this.quota = quota;
        if (quota == 0) {
            quotaReached.complete(null);
        }
        lane.listener(this);
    }

    Lane lane() {
        return lane;
    }

    void start() {
        if (pacer != null) {
            tick(); // sends nothing before the schedule's start
        } else if (maySend(System.nanoTime())) {
            send(System.nanoTime());
        }
    }

    /** No more sends; {@link #drained()} completes when the last echo is in. */
    void stop() {
        stopped = true;
        if (outstanding == 0) {
            drained.complete(null);
        }
    }

    /** A {@link Metronome} beat, on the metronome's thread: wake the lane's loop. */
    void beat() {
        if (tickQueued.compareAndSet(false, true)) {
            lane.context().runOnContext(beatTick);
        }
    }

    CompletableFuture<Void> quotaReached() {
        return quotaReached;
    }

    CompletableFuture<Void> drained() {
        return drained;
    }

    long progress() {
        return progress.get();
    }

    /** Echoes of messages sent inside the window. Read after {@link #drained()}. */
    long answeredInWindow() {
        return answeredInWindow;
    }

    long lastAnswerNanos() {
        return lastAnswerNanos;
    }

    private boolean maySend(long stamp) {
        return !stopped && !blocked && stamp < windowEnd && (stamp < windowStart || sentInWindow < quota);
    }

    private void send(long stamp) {
        STAMP.set(payload, 0, stamp);
        outstanding++;
        if (stamp >= windowStart) {
            sentInWindow++;
        }
        if (!lane.send(payload, payload.length)) {
            blocked = true;
        }
    }

    private void tick() {
        long now = System.nanoTime();
        for (int n = 0; n < Producer.BATCH_MESSAGES; n++) {
            long due = pacer.due();
            if (due > now || !maySend(due)) {
                return;
            }
            send(System.nanoTime());
            pacer.advance();
            if (due >= windowStart) {
                sendLag.record(now - due);
            }
        }
        lane.context().runOnContext(nextTick); // more are due: yield first, as the producers do
    }

    @Override
    public void echoed(long stamp) {
        long now = System.nanoTime();
        outstanding--;
        if (stamp >= windowStart && stamp < windowEnd) {
            recorder.record(now - stamp);
            answeredInWindow++;
            lastAnswerNanos = now;
            progress.lazySet(answeredInWindow);
            if (answeredInWindow == quota) {
                quotaReached.complete(null);
            }
        }
        if (pacer == null && outstanding == 0 && maySend(now)) {
            send(now);
        }
        if (stopped && outstanding == 0) {
            drained.complete(null);
        }
    }

    /** Goes on in a task of its own, for the reason given at {@link Producer#writable()}. */
    @Override
    public void writable() {
        blocked = false;
        lane.context().runOnContext(resume);
    }

    private void resumeSending() {
        if (pacer != null) {
            tick();
        } else if (outstanding == 0 && maySend(System.nanoTime())) {
            send(System.nanoTime());
        }
    }
}
