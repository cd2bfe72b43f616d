package org.dapstream.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Capped exponential back-off with full jitter, for re-dialling a member: the n-th delay
 * (from 0) is uniform in {@code [0, min(max, initial * 2^n)]}. Full jitter spreads the
 * re-dials of many nodes that lost one peer at the same moment, so they do not arrive at it
 * in waves; the cap bounds how long a recovered peer waits to be dialled again.
 * Thread-safe; {@link #reset()} after a link came up.
 */
public final class Backoff {
    /** Config key of {@code initial}, named in the errors. */
    public static final String INITIAL_KEY = "dap.stream.cluster.link.backoff-initial";
    /** Config key of {@code max}, named in the errors. */
    public static final String MAX_KEY = "dap.stream.cluster.link.backoff-max";

    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;
    private int attempts;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        Objects.requireNonNull(initial, INITIAL_KEY);
        Objects.requireNonNull(max, MAX_KEY);
        this.random = Objects.requireNonNull(random, "random");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException(INITIAL_KEY + " must be greater than 0, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(MAX_KEY + " (" + max + ") must be at least " + INITIAL_KEY + " (" + initial + ")");
        }
        this.initialNanos = saturatedNanos(initial);
        this.maxNanos = saturatedNanos(max);
    }

    /** The next delay, uniform in {@code [0, min(max, initial * 2^attempts())]}; counts an attempt. */
    public synchronized Duration next() {
        long cap = ceiling(attempts);
        if (attempts < Integer.MAX_VALUE) {
            attempts++;
        }
        long nanos = cap == Long.MAX_VALUE ? random.nextLong() & Long.MAX_VALUE : random.nextLong(cap + 1);
        return Duration.ofNanos(nanos);
    }

    /** The upper bound of the delay {@link #next()} would draw now. */
    public synchronized Duration ceiling() {
        return Duration.ofNanos(ceiling(attempts));
    }

    /** Starts over at {@code initial}: the link came up. */
    public synchronized void reset() {
        attempts = 0;
    }

    /** Delays drawn since the start or the last {@link #reset()}. */
    public synchronized int attempts() {
        return attempts;
    }

    /** {@code min(max, initial << n)} without overflow: the shift is taken only while it stays under max. */
    private long ceiling(int n) {
        if (n >= Long.SIZE - 1 || initialNanos > (maxNanos >> n)) {
            return maxNanos;
        }
        return Math.min(maxNanos, initialNanos << n);
    }

    /** Durations beyond ~292 years do not fit a long of nanoseconds: they mean "as long as possible". */
    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
