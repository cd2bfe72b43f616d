package org.dapstream.bench;

/**
 * An open-loop schedule: message {@code k} of a lane is due at {@code start + k / rate},
 * whatever happened to the ones before it. A sender that falls behind sends the overdue
 * messages as soon as it can, and the latency of each is measured from its due time, so a
 * stall shows up in the histogram instead of slowing the load (no coordinated omission).
 */
final class Pacer {
    private final double intervalNanos;
    private long start;
    private long next;

    /** @param perSecond this lane's share of {@code --rate} */
    Pacer(double perSecond) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("a pacer needs a positive rate, got " + perSecond);
        }
        this.intervalNanos = 1e9 / perSecond;
    }

    long intervalNanos() {
        return (long) intervalNanos;
    }

    void start(long nowNanos) {
        start = nowNanos;
        next = 0;
    }

    /** When the next message is due (System.nanoTime scale). */
    long due() {
        return start + (long) (next * intervalNanos);
    }

    /** The next message has been sent. */
    void advance() {
        next++;
    }
}
