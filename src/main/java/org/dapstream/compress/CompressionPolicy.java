package org.dapstream.compress;

import java.time.Duration;

/**
 * Tuning of the adaptive decision (one per channel direction, see {@link AdaptiveCompression});
 * every default is a named constant. Reasons and figures:
 * docs/decisions/0105-compression-policy-defaults.md.
 *
 * @param minSize           payloads shorter than this many bytes are never compressed (not even tried)
 * @param minSavingsPercent a frame goes COMPRESSED only if its compressed payload (prefix included) is at
 *                          least this many percent smaller than the original; 0..99
 * @param skipFrames        after a frame did not shrink enough, this many eligible frames go raw without
 *                          trying; the count doubles on each further failed probe, up to
 *                          {@code skipFrames * }{@link #MAX_SKIP_GROWTH}, and returns to skipFrames on success
 * @param reprobeAfter      a probe happens at the latest this long after the failed one, even if fewer
 *                          frames than the skip count went by (so a slow channel is re-checked in time)
 */
public record CompressionPolicy(int minSize, int minSavingsPercent, int skipFrames, Duration reprobeAfter) {
    /**
     * 1 KiB. Below it LZ4 saves few bytes on the JSON-like text this is meant for (its matches
     * need history) while each call costs a fixed ~16 KiB hash-table reset; 64-byte messages
     * never pay. Measured: docs/decisions/0105-compression-policy-defaults.md.
     */
    public static final int DEFAULT_MIN_SIZE = 1024;
    /**
     * 10 %. A frame that shrinks less still costs the receiver a decompression and a copy, and
     * data that barely shrinks (media, already-compressed files) should switch to skipping.
     */
    public static final int DEFAULT_MIN_SAVINGS_PERCENT = 10;
    /** 16 eligible frames raw after a failed probe: one wasted compression per 17 frames at most at first. */
    public static final int DEFAULT_SKIP_FRAMES = 16;
    /** 1 s: a channel whose data turns compressible is compressed again within a second. */
    public static final Duration DEFAULT_REPROBE_AFTER = Duration.ofSeconds(1);
    /**
     * The skip count grows to at most {@code skipFrames * 64} (1024 frames by default) while probes
     * keep failing: incompressible streams then pay one trial per 1025 frames (under 0.1 %).
     */
    public static final int MAX_SKIP_GROWTH = 64;

    public CompressionPolicy {
        if (minSize < 0) {
            throw new IllegalArgumentException("minSize " + minSize + " is negative");
        }
        if (minSavingsPercent < 0 || minSavingsPercent > 99) {
            throw new IllegalArgumentException("minSavingsPercent " + minSavingsPercent + " outside 0..99");
        }
        if (skipFrames < 0 || skipFrames > Integer.MAX_VALUE / MAX_SKIP_GROWTH) {
            throw new IllegalArgumentException("skipFrames " + skipFrames + " outside 0.." + Integer.MAX_VALUE / MAX_SKIP_GROWTH);
        }
        if (reprobeAfter == null || reprobeAfter.isNegative()) {
            throw new IllegalArgumentException("reprobeAfter " + reprobeAfter + " must be zero or positive");
        }
    }

    public static CompressionPolicy defaults() {
        return new CompressionPolicy(DEFAULT_MIN_SIZE, DEFAULT_MIN_SAVINGS_PERCENT, DEFAULT_SKIP_FRAMES, DEFAULT_REPROBE_AFTER);
    }

    /** reprobeAfter in nanoseconds, saturated (a Duration of centuries does not overflow). */
    long reprobeAfterNanos() {
        try {
            return reprobeAfter.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
