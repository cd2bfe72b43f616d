package org.dapstream.stream;

/**
 * The keepalive engine of one stream (the seed's {@code dap_stream_send/process_keepalive}).
 * It does no I/O and reads no clock: the stream ticks it with the time and with whether
 * anything was read or written since the last tick, and it answers what to do. So it is
 * tested without sockets or sleeps, and the hot path never reads the clock per frame.
 */
public final class KeepAlive {
    /** What a tick asks of the stream. */
    public enum Action { NONE, PING, TIMEOUT }

    /** Weight of a new round-trip sample in the average (TCP's SRTT uses 1/8). */
    static final double RTT_WEIGHT = 0.125;
    /**
     * Pings remembered for their pongs. A ping goes out at most once per interval and the
     * stream times out after a silent timeout, so a few cover every pong still worth a sample.
     */
    static final int PINGS_IN_FLIGHT = 4;

    private final long intervalNanos;
    private final long timeoutNanos;
    private long lastReadNanos;
    private long lastWriteNanos;
    private double avgRttNanos = Double.NaN;
    private long lastRttNanos = -1;
    private long pongs;
    /** Timestamps of our pings whose pongs may still come, oldest overwritten first. */
    private final long[] pingsInFlight = new long[PINGS_IN_FLIGHT];
    private final boolean[] awaited = new boolean[PINGS_IN_FLIGHT];
    private int nextPingSlot;

    public KeepAlive(long intervalNanos, long timeoutNanos, long nowNanos) {
        if (intervalNanos <= 0 || timeoutNanos <= 0) {
            throw new IllegalArgumentException("keepalive interval and timeout must be positive");
        }
        this.intervalNanos = intervalNanos;
        this.timeoutNanos = timeoutNanos;
        this.lastReadNanos = nowNanos;
        this.lastWriteNanos = nowNanos;
    }

    /** How often the stream should tick: a quarter of the shorter period, so a timeout is seen at most 25 % late. */
    public static long tickMillis(long intervalNanos, long timeoutNanos) {
        return Math.max(1, Math.min(intervalNanos, timeoutNanos) / 4 / 1_000_000);
    }

    /**
     * @param read  bytes arrived since the previous tick
     * @param wrote frames were sent since the previous tick
     */
    public Action tick(long nowNanos, boolean read, boolean wrote) {
        if (read) {
            lastReadNanos = nowNanos;
        }
        if (wrote) {
            lastWriteNanos = nowNanos;
        }
        if (nowNanos - lastReadNanos >= timeoutNanos) {
            return Action.TIMEOUT;
        }
        if (nowNanos - lastWriteNanos >= intervalNanos) {
            lastWriteNanos = nowNanos; // the ping about to go out is a write
            return Action.PING;
        }
        return Action.NONE;
    }

    /** A ping with {@code timestamp} went out: its pong, and only its pong, gives a round trip. */
    public void pingSent(long timestamp) {
        pingsInFlight[nextPingSlot] = timestamp;
        awaited[nextPingSlot] = true;
        nextPingSlot = (nextPingSlot + 1) % PINGS_IN_FLIGHT;
    }

    /**
     * A pong echoed {@code pingTimestamp}, which we sent at that {@code nanoTime}.
     *
     * @return the round trip in nanoseconds, or -1 when it answers no ping of ours still in
     *         flight (forged, repeated, or for a ping long given up): ignored, so a peer cannot
     *         set the round trip to whatever it likes
     */
    public long onPong(long nowNanos, long pingTimestamp) {
        int slot = -1;
        for (int i = 0; i < PINGS_IN_FLIGHT; i++) {
            if (awaited[i] && pingsInFlight[i] == pingTimestamp) {
                slot = i;
                break;
            }
        }
        long rtt = nowNanos - pingTimestamp;
        if (slot < 0 || rtt < 0) {
            return -1;
        }
        awaited[slot] = false;
        lastRttNanos = rtt;
        pongs++;
        avgRttNanos = Double.isNaN(avgRttNanos) ? rtt : avgRttNanos + RTT_WEIGHT * (rtt - avgRttNanos);
        return rtt;
    }

    /** Smoothed round trip in milliseconds, NaN before the first pong. */
    public double avgLatencyMillis() {
        return avgRttNanos / 1e6;
    }

    /** The last round trip in nanoseconds, -1 before the first pong. */
    public long lastRttNanos() {
        return lastRttNanos;
    }

    public long pongs() {
        return pongs;
    }
}
