package org.dapstream.compress;

import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * One channel's sending side: decides per frame, compresses when it pays, counts.
 * Not thread-safe (one event loop).
 *
 * <p>States: <em>trying</em> (every eligible frame is compressed, and goes COMPRESSED if it
 * shrank by at least {@link CompressionPolicy#minSavingsPercent()}) and <em>skipping</em> (after a
 * frame that did not shrink enough: eligible frames go raw until the skip count runs out or
 * {@link CompressionPolicy#reprobeAfter()} has passed, whichever first; then one frame is
 * probed). A failed probe doubles the skip count (capped at
 * {@code skipFrames * }{@link CompressionPolicy#MAX_SKIP_GROWTH}); a successful one returns to trying.
 *
 * <p>While skipping, a frame larger than {@link #SAMPLE_BYTES} twice over is not sent raw blindly:
 * its first {@link #SAMPLE_BYTES} are compressed as a sample, and when the sample shrinks enough the
 * whole frame is tried at once. Data that changes within a channel (a message of text after
 * one of random bytes, as in a file transfer) is then compressed again from its first frame,
 * not after a skip run; on incompressible data the sample costs about 1/64 of a full try of
 * a 64 KiB frame.
 *
 * <p>With {@link CompressionGoal#THROUGHPUT} (the default) a {@link ThroughputTrial} sits in
 * front of all this: while the channel's writer is held back, compression runs only if it
 * moves more payload per second than sending raw (on a link faster than LZ4 it does not).
 * {@link CompressionGoal#BYTES} compresses every eligible frame that shrinks, whatever it costs.
 */
public final class AdaptiveCompression {
    /** Bytes compressed as a sample of a frame while skipping: 1 KiB. */
    public static final int SAMPLE_BYTES = 1024;

    private final int minSize;
    private final int keepPercent;
    private final int baseSkip;
    private final int maxSkip;
    private final long reprobeNanos;
    private final LongSupplier nanoClock;
    /** Null with {@link CompressionGoal#BYTES}. */
    private final ThroughputTrial trial;

    /** Frames still to skip; meaningful while {@link #skipping}. */
    private int skipLeft;
    /** The skip count after the next failed probe. */
    private int nextSkip;
    private boolean skipping;
    /** nanoClock value at which a probe is due regardless of skipLeft. */
    private long probeDueAt;

    private long framesCompressed;
    private long framesSkipped;
    private long probesFailed;
    private long samples;
    private long bytesIn;
    private long bytesOut;
    private long framesTrialRaw;

    /** With {@link CompressionGoal#BYTES}: compress whenever it shrinks, as the policy says. */
    public AdaptiveCompression(CompressionPolicy policy, LongSupplier nanoClock) {
        this(policy, CompressionGoal.BYTES, nanoClock);
    }

    public AdaptiveCompression(CompressionPolicy policy, CompressionGoal goal, LongSupplier nanoClock) {
        this.trial = goal == CompressionGoal.THROUGHPUT ? new ThroughputTrial() : null;
        this.minSize = policy.minSize();
        this.keepPercent = 100 - policy.minSavingsPercent();
        this.baseSkip = policy.skipFrames();
        this.maxSkip = policy.skipFrames() * CompressionPolicy.MAX_SKIP_GROWTH;
        this.reprobeNanos = policy.reprobeAfterNanos();
        this.nanoClock = nanoClock;
        this.nextSkip = baseSkip;
    }

    /**
     * Tries to compress src[srcOff, +len) into dst at dstOff (dst has maxCompressedLength(len) room).
     * Returns the compressed payload length (prefix included) when the frame should go COMPRESSED,
     * or -1 when it should go as is (too small, skipping after a failed probe, or did not shrink enough).
     * Cheap when it returns -1 without trying (no allocation, a few compares). After a failed
     * try, dst[dstOff, +maxCompressedLength(len)) may have been written.
     */
    public int compress(ByteBuffer src, int srcOff, int len, ByteBuffer dst, int dstOff) {
        if (len < minSize) {
            return -1;
        }
        long now = nanoClock.getAsLong();
        if (trial != null && !trial.allows(now, len)) {
            framesTrialRaw++;
            return -1;
        }
        if (skipping && skipLeft > 0 && now - probeDueAt < 0 && !sampleShrinks(src, srcOff, len, dst, dstOff)) {
            skipLeft--;
            framesSkipped++;
            return -1;
        }
        long started = trial != null ? nanoClock.getAsLong() : 0; // after a sample: not `now`
        int compressed = Lz4Payload.compress(src, srcOff, len, dst, dstOff);
        if (trial != null) {
            trial.spent(nanoClock.getAsLong() - started);
        }
        if ((long) compressed * 100 > (long) len * keepPercent) {
            failedTry();
            return -1;
        }
        skipping = false;
        nextSkip = baseSkip;
        framesCompressed++;
        bytesIn += len;
        bytesOut += compressed;
        return compressed;
    }

    /** While skipping: does the start of this frame shrink enough to try the whole of it? */
    private boolean sampleShrinks(ByteBuffer src, int srcOff, int len, ByteBuffer dst, int dstOff) {
        if (len < 2 * SAMPLE_BYTES) {
            return false; // a sample would cost half a try: keep skipping
        }
        samples++;
        long started = trial != null ? nanoClock.getAsLong() : 0;
        int compressed = Lz4Payload.compress(src, srcOff, SAMPLE_BYTES, dst, dstOff) - Lz4Payload.LENGTH_PREFIX;
        if (trial != null) {
            trial.spent(nanoClock.getAsLong() - started);
        }
        return (long) compressed * 100 <= (long) SAMPLE_BYTES * keepPercent;
    }

    /**
     * The channel's writer had to wait (write returned false, or a message was queued behind
     * credit, a rate limit or a full connection): the throughput trial may start.
     */
    public void writerHeldBack() {
        if (trial != null) {
            trial.writerHeldBack();
        }
    }

    /** A frame of this channel had to wait for a rate limit at {@code now}: see {@link ThroughputTrial#rateLimitWaited}. */
    public void rateLimitWaited(long now) {
        if (trial != null) {
            trial.rateLimitWaited(now);
        }
    }

    /** The throughput trial, or null with {@link CompressionGoal#BYTES}. */
    public ThroughputTrial trial() {
        return trial;
    }

    /** Eligible frames sent raw without trying because the throughput trial had compression off. */
    public long framesTrialRaw() {
        return framesTrialRaw;
    }

    /** Samples taken while skipping. */
    public long samples() {
        return samples;
    }

    private void failedTry() {
        probesFailed++;
        framesSkipped++;
        skipping = true;
        skipLeft = nextSkip;
        nextSkip = (int) Math.min((long) nextSkip * 2, maxSkip);
        // Wrapping sum, compared by difference (the System.nanoTime idiom): right for any clock origin.
        probeDueAt = nanoClock.getAsLong() + reprobeNanos;
    }

    /** Frames sent COMPRESSED. */
    public long framesCompressed() {
        return framesCompressed;
    }

    /** Frames eligible by size but sent raw (skipped without trying, or tried and not shrunk enough). */
    public long framesSkipped() {
        return framesSkipped;
    }

    /** Tries that did not shrink enough (each starts or extends a skipping run). */
    public long probesFailed() {
        return probesFailed;
    }

    /** Raw bytes of frames sent compressed. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Compressed sizes (prefix included) of those frames. */
    public long bytesOut() {
        return bytesOut;
    }

    /** {@code bytesIn - bytesOut}. */
    public long savedBytes() {
        return bytesIn - bytesOut;
    }
}
