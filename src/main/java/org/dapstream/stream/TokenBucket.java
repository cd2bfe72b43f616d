package org.dapstream.stream;

/**
 * The token buckets behind a {@link RateLimit}: one for bytes, one for frames, refilled
 * continuously at the limit's rate. A bucket holds at most a tenth of a second of its rate
 * ({@link #BURST_NANOS}) and never less than one largest frame, so a single frame always
 * fits and short bursts are smoothed instead of released at once. Event-loop confined.
 */
final class TokenBucket {
    /** Tokens a full bucket holds, as time at the limit's rate: 100 ms. */
    static final long BURST_NANOS = 100_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Bucket bytes;
    private final Bucket frames;

    TokenBucket(RateLimit limit, int largestFrame, long now) {
        this.bytes = limit.bytesPerSecond() > 0 ? new Bucket(limit.bytesPerSecond(), largestFrame, now) : null;
        this.frames = limit.framesPerSecond() > 0 ? new Bucket(limit.framesPerSecond(), 1, now) : null;
    }

    /** Nanoseconds until a frame of {@code frameBytes} may go; 0 when it may go now. */
    long delayNanos(long now, int frameBytes) {
        long wait = 0;
        if (bytes != null) {
            wait = bytes.delay(now, frameBytes);
        }
        if (frames != null) {
            wait = Math.max(wait, frames.delay(now, 1));
        }
        return wait;
    }

    /**
     * Takes the tokens of a frame that was sent (after {@link #delayNanos} said 0 for its
     * uncompressed size): its size on the wire, which compression may have made smaller.
     */
    void take(int frameBytes) {
        if (bytes != null) {
            bytes.tokens -= frameBytes;
        }
        if (frames != null) {
            frames.tokens -= 1;
        }
    }

    private static final class Bucket {
        final double perNano;
        final double capacity;
        double tokens;
        long refilledAt;

        Bucket(long perSecond, int atLeast, long now) {
            this.perNano = (double) perSecond / NANOS_PER_SECOND;
            this.capacity = Math.max(atLeast, perSecond * (double) BURST_NANOS / NANOS_PER_SECOND);
            this.tokens = capacity;
            this.refilledAt = now;
        }

        long delay(long now, int amount) {
            tokens = Math.min(capacity, tokens + (now - refilledAt) * perNano);
            refilledAt = now;
            double missing = amount - tokens;
            return missing <= 0 ? 0 : (long) Math.ceil(missing / perNano);
        }
    }
}
