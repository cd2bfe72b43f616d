package org.dapstream.stream;

/**
 * How a receive window grows (receiver side, per channel and per stream). A window that is
 * too small for the path's bandwidth-delay product stops the sender for a round trip every
 * half window: 1 MiB across a 50 ms round trip caps a channel near 20 MB/s whatever the link.
 * The receiver cannot see the round trip while data flows (keepalives run only on idle
 * streams), but it sees how fast its application consumes: when half a window was consumed
 * within {@link #GROWTH_INTERVAL_NANOS} of the previous grant, the window doubles (the
 * increase rides on that grant), up to the configured maximum. A reader that stalls never
 * grows its window, so what a peer can make a slow application hold stays at the configured
 * window; the maximum bounds what a fast one that then stops can be made to hold.
 * Windows never shrink (a peer may already have been granted the credit).
 */
final class WindowGrowth {
    /**
     * 100 ms. A window that keeps half of itself consumed faster than this carries at least
     * window / 200 ms; it cannot be what limits a path whose round trip is over 200 ms, and
     * any bulk transfer on a shorter path grows it to the maximum within a few grants.
     */
    static final long GROWTH_INTERVAL_NANOS = 100_000_000L;

    private WindowGrowth() {
    }

    /** The window after a grant that came {@code sinceLastGrantNanos} after the previous one. */
    static long grown(long window, long max, long sinceLastGrantNanos) {
        if (window < max && sinceLastGrantNanos < GROWTH_INTERVAL_NANOS) {
            return Math.min(window * 2, max);
        }
        return window;
    }
}
