package org.dapstream.bench;

import io.vertx.core.Handler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The one-way sender of one lane, run as tasks on the lane's event loop: it writes until
 * back-pressure (then waits for {@link #writable()}) or until a batch is done (then
 * re-schedules itself, so the loop still reads and flushes between batches). One payload
 * array serves every message.
 */
final class Producer implements LaneListener {
    /** Messages written per turn of the event loop at most. */
    static final int BATCH_MESSAGES = 256;
    /** Payload bytes written per turn at most: 256 KiB. */
    static final int BATCH_BYTES = 256 * 1024;

    private final Lane lane;
    private final byte[] payload;
    private final Pacer pacer;
    private final Supplier<ReportRound> round;
    private final Handler<Void> next = v -> produce();
    private final CompletableFuture<Void> quotaReached = new CompletableFuture<>();
    /** Messages sent, published for the stall watchdog on the main thread. */
    private final AtomicLong progress = new AtomicLong();
    private long sent;
    private long limit = Long.MAX_VALUE;
    private boolean blocked;
    private boolean stopped;
    /** Set by a metronome beat until the tick it queued has run, so beats never pile up on the loop. */
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private final Handler<Void> tick = v -> {
        tickQueued.set(false);
        produce();
    };

    /** @param pacer null for as fast as the lane allows */
    Producer(Lane lane, byte[] payload, Pacer pacer, Supplier<ReportRound> round) {
        this.lane = lane;
        this.payload = payload;
        this.pacer = pacer;
        this.round = round;
        lane.listener(this);
    }

    Lane lane() {
        return lane;
    }

    /** On the lane's loop. */
    void start() {
        produce();
    }

    /** A {@link Metronome} beat, on the metronome's thread: wake the lane's loop. */
    void beat() {
        if (tickQueued.compareAndSet(false, true)) {
            lane.context().runOnContext(tick);
        }
    }

    /** On the lane's loop, in the same task as the report request: send {@code quota} more, then stop. */
    void mark(long quota) {
        limit = sent + quota;
        if (quota == 0) {
            quotaReached.complete(null);
        }
    }

    /** On the lane's loop. */
    void stop() {
        stopped = true;
    }

    CompletableFuture<Void> quotaReached() {
        return quotaReached;
    }

    long progress() {
        return progress.get();
    }

    private void produce() {
        if (stopped || blocked) {
            return;
        }
        long now = pacer != null ? System.nanoTime() : 0;
        int messages = 0;
        long bytes = 0;
        while (messages < BATCH_MESSAGES && bytes < BATCH_BYTES) {
            if (sent >= limit) {
                quotaReached.complete(null);
                publish();
                return;
            }
            if (pacer != null) {
                if (pacer.due() > now) {
                    publish();
                    return; // the next beat goes on
                }
                pacer.advance();
            }
            boolean more = lane.send(payload, payload.length);
            sent++;
            messages++;
            bytes += payload.length;
            if (!more) {
                blocked = true;
                publish();
                return;
            }
        }
        publish();
        lane.context().runOnContext(next);
    }

    private void publish() {
        progress.lazySet(sent);
    }

    /**
     * Goes on in a task of its own, for stream and raw alike, so both pay the same for a
     * resume (the stream already wakes writers in a task; the raw socket's drain handler
     * may run inside a flush).
     */
    @Override
    public void writable() {
        if (blocked) {
            blocked = false;
            lane.context().runOnContext(next);
        }
    }

    @Override
    public void report(long messages, long bytes) {
        round.get().answer(messages, bytes, System.nanoTime());
    }
}
