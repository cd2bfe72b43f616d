package org.dapstream.bench;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The beat of the open-loop lanes: a thread of its own that parks until the next beat and
 * then wakes every paced lane, which sends what its {@link Pacer} says is due, on its event
 * loop. Vert.x timers on the NIO transport round up to whole milliseconds, so messages due
 * every 100 µs would leave up to a millisecond late, and measured from their due time that
 * delay would be charged to the system under test.
 */
final class Metronome implements AutoCloseable {
    /** Shortest beat: Linux wakes a parked thread about 50 µs late anyway (timer slack). */
    static final long MIN_PERIOD_NANOS = 50_000;
    /** Longest beat, so a slow lane still sends on time to within a millisecond. */
    static final long MAX_PERIOD_NANOS = 1_000_000;

    private final long periodNanos;
    private final List<Runnable> beats;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param laneIntervalNanos time between two messages of one lane
     * @param beats             one per paced lane; each must be cheap and hand its work to the lane's loop
     */
    Metronome(long laneIntervalNanos, List<Runnable> beats) {
        this.periodNanos = Math.max(MIN_PERIOD_NANOS, Math.min(MAX_PERIOD_NANOS, laneIntervalNanos));
        this.beats = List.copyOf(beats);
        this.thread = new Thread(this::run, "bench-metronome");
        thread.setDaemon(true);
    }

    /** Call after every lane's start task is queued, so each lane's first beat runs after it. */
    void start() {
        thread.start();
    }

    private void run() {
        long next = System.nanoTime();
        while (!stopped) {
            next += periodNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next -= wait; // behind: beat now, and do not try to catch up with extra beats
            }
            for (Runnable beat : beats) {
                beat.run();
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
    }
}
