package org.dapstream.stream;

import java.time.Duration;

/**
 * A {@link StreamClock} that moves only when a test says so. It starts far from zero on both
 * scales, so code that uses an absolute {@code nanoTime} instead of a difference shows up.
 * The {@link ManualScheduler} owns it: advancing the scheduler advances the clock.
 */
final class FakeClock implements StreamClock {
    /** Arbitrary origin of {@link #nanoTime()}. */
    static final long START_NANOS = 7_000_000_000_000L;
    /** 2023-11-14T22:13:20Z, the origin of {@link #currentTimeMillis()}. */
    static final long START_MILLIS = 1_700_000_000_000L;

    private long elapsedNanos;

    @Override
    public long nanoTime() {
        return START_NANOS + elapsedNanos;
    }

    @Override
    public long currentTimeMillis() {
        return START_MILLIS + elapsedNanos / 1_000_000;
    }

    /** Time since the clock was made. */
    long elapsedNanos() {
        return elapsedNanos;
    }

    long elapsedMillis() {
        return elapsedNanos / 1_000_000;
    }

    /** Moves to {@code nanoTime() == START_NANOS + elapsed}; only forward. Package use: the scheduler. */
    void setElapsedNanos(long elapsed) {
        if (elapsed < elapsedNanos) {
            throw new IllegalArgumentException("a monotonic clock does not go back: " + elapsed + " < " + elapsedNanos);
        }
        elapsedNanos = elapsed;
    }

    /** Moves the clock without running timers; use {@link ManualScheduler#advance} to run them too. */
    void skip(Duration d) {
        setElapsedNanos(elapsedNanos + d.toNanos());
    }
}
