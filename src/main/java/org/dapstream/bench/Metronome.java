package org.dapstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Wakes the open-loop lanes when their messages are due: a thread of its own that follows
 * every lane's schedule (its own {@link Pacer} copies), parks until the earliest due time
 * and then wakes the lanes that have something due; each lane sends on its event loop.
 * Vert.x timers on the NIO transport round up to whole milliseconds, so with them messages
 * would leave up to a millisecond late, and measured from their due time that delay would
 * be charged to the system under test.
 */
final class Metronome implements AutoCloseable {
    /** Closest beats: Linux wakes a parked thread some 50 µs late anyway (timer slack). */
    static final long MIN_PERIOD_NANOS = 50_000;

    private final List<Runnable> wakeups;
    private final List<Pacer> schedules;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param wakeups   per lane: cheap, hands the work to the lane's loop
     * @param schedules per lane, the same schedule as the lane's own pacer (separate instances)
     */
    Metronome(List<Runnable> wakeups, List<Pacer> schedules) {
        if (wakeups.size() != schedules.size()) {
            throw new IllegalArgumentException(wakeups.size() + " lanes but " + schedules.size() + " schedules");
        }
        this.wakeups = List.copyOf(wakeups);
        this.schedules = new ArrayList<>(schedules);
        this.thread = new Thread(this::run, "bench-metronome");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long lastBeat = Long.MIN_VALUE;
        while (!stopped) {
            long earliest = Long.MAX_VALUE;
            for (Pacer p : schedules) {
                earliest = Math.min(earliest, p.due());
            }
            long beat = lastBeat == Long.MIN_VALUE ? earliest : Math.max(earliest, lastBeat + MIN_PERIOD_NANOS);
            long wait = beat - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue; // woken early, or stopped: look again
            }
            long now = System.nanoTime();
            lastBeat = now;
            for (int i = 0; i < schedules.size(); i++) {
                Pacer p = schedules.get(i);
                if (p.due() <= now) {
                    do {
                        p.advance();
                    } while (p.due() <= now);
                    wakeups.get(i).run();
                }
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
    }
}
