package org.dapstream.stream;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Capped exponential back-off with full jitter, for re-dialling a member or resuming a session: the n-th delay
 * (from 0) is uniform in {@code [0, min(max, initial * 2^n)]}. Full jitter spreads the
 * re-dials of many nodes that lost one peer at the same moment, so they do not arrive at it
 * in waves (as many clients that lost one node do); the cap bounds how long a recovered peer waits to be dialled again.
 * Thread-safe; {@link #reset()} after a link came up.
 */
public final class Backoff {
    /** The cluster links' config key of {@code initial}, named in the errors. */
    public static final String INITIAL_KEY = "dap.stream.cluster.link.backoff-initial";
    /** The cluster links' config key of {@code max}, named in the errors. */
    public static final String MAX_KEY = "dap.stream.cluster.link.backoff-max";

    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;
    private int attempts;

    /** The cluster links' back-off: errors name the link keys. */
    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this(initial, max, random, INITIAL_KEY, MAX_KEY);
    }

    /** @param initialName and {@code maxName}: what the errors call the two settings */
    public Backoff(Duration initial, Duration max, RandomGenerator random, String initialName, String maxName) {
        Objects.requireNonNull(initial, initialName);
        Objects.requireNonNull(max, maxName);
        this.random = Objects.requireNonNull(random, "random");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException(initialName + " must be greater than 0, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(maxName + " (" + max + ") must be at least " + initialName + " (" + initial + ")");
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
