package org.dapstream.cluster;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** Capped exponential back-off with full jitter (placeholder until the tested one lands). */
public final class Backoff {
    private final long initial;
    private final long max;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initial = initial.toMillis();
        this.max = max.toMillis();
        this.random = random;
    }

    public synchronized Duration next() {
        long cap = attempt >= 30 ? max : Math.min(max, initial << attempt);
        attempt++;
        return Duration.ofMillis(random.nextLong(cap + 1));
    }

    public synchronized void reset() {
        attempt = 0;
    }

    public synchronized int attempts() {
        return attempt;
    }
}
