package org.dapstream.bench;

/**
 * An open-loop schedule: message {@code k} of a lane is due at {@code first + k * interval},
 * whatever happened to the ones before it. A sender that falls behind sends the overdue
 * messages as soon as it can, and the latency of each is measured from its due time, so a
 * stall shows up in the histogram instead of slowing the load (no coordinated omission).
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

    /** When the next message is due (System.nanoTime scale). */
    long due() {
        return first + (long) (next * intervalNanos);
    }

    /** The next message has been sent. */
    void advance() {
        next++;
    }
}
