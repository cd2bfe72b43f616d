package org.dapstream.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * An open-loop schedule: message {@code k} of a lane is due at {@code first + k * interval},
 * whatever happened to the ones before it. A sender that falls behind sends the overdue
 * messages as soon as it can, so a stall does not slow the load down; how late each left is
 * recorded as the send lag (latency itself counts from the hand-over to the lane).
 *
 * <p>The lanes of a run share one schedule: with {@code n} lanes at {@code rate} in all,
 * message {@code g} of the run is due at {@code t0 + g / rate} and belongs to lane
 * {@code g mod n} (see {@link #forLane}). Not thread-safe: one per lane, plus the
 * {@link Metronome}'s own copies.
 */
final class Pacer {
    private final long first;
    private final double intervalNanos;
    private long next;

    Pacer(long firstDueNanos, double intervalNanos) {
        if (!(intervalNanos > 0)) {
            throw new IllegalArgumentException("a pacer needs a positive interval, got " + intervalNanos);
        }
        this.first = firstDueNanos;
        this.intervalNanos = intervalNanos;
    }

    /** Lane {@code lane}'s share of {@code rate} messages per second over {@code lanes} lanes, from {@code t0} on. */
    static Pacer forLane(long t0, long rate, int lanes, int lane) {
        double runInterval = 1e9 / rate;
        return new Pacer(t0 + (long) (lane * runInterval), runInterval * lanes);
    }

    /** One pacer per lane for {@code rate} messages per second in all, from {@code t0} on. */
    static List<Pacer> forLanes(long t0, long rate, int lanes) {
        List<Pacer> out = new ArrayList<>(lanes);
        for (int i = 0; i < lanes; i++) {
            out.add(forLane(t0, rate, lanes, i));
        }
        return out;
    }

    /** When the next message is due (System.nanoTime scale). */
    long due() {
        return first + (long) (next * intervalNanos);
    }

    /** The next message has been sent. */
    void advance() {
        next++;
    }
}
