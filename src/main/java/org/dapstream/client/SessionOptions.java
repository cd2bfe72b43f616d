package org.dapstream.client;

import java.time.Duration;

/**
 * How a {@link ClientSession} resumes after losing its connection: the n-th attempt waits a
 * time drawn uniformly from {@code [0, min(backoffMax, backoffInitial * 2^n)]} (capped
 * exponential back-off with full jitter, so many clients that lost one node do not come back
 * to it in waves). It keeps trying until the node's session expiry (which the node states in
 * its tickets) has passed since the connection was lost.
 */
public record SessionOptions(Duration backoffInitial, Duration backoffMax) {
    /** 50 ms: a blip is resumed within a round trip or two. */
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(50);
    /** 2 s: a node that comes back is found within two seconds. */
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(2);

    public static SessionOptions defaults() {
        return new SessionOptions(DEFAULT_BACKOFF_INITIAL, DEFAULT_BACKOFF_MAX);
    }
}
