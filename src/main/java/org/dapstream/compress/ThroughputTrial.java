package org.dapstream.compress;

/**
 * Decides, for one channel's sending side, whether compression may run at all, by what it
 * does to the payload throughput while the writer is held back. Not thread-safe (one event loop).
 *
 * <p>Why: LZ4 compresses this project's JSON-like text at about 1.1 GB/s on one core, while
 * sealing and sending an uncompressed 64 KiB frame costs less. Where the link is faster than
 * the compressor (loopback, a fast LAN, a peer on the same host) compressing makes a
 * saturated channel slower; where the link or a rate limit is the bottleneck it makes the
 * channel up to the compression ratio faster. Which one holds is not visible from inside a
 * process (a full socket looks the same whether the network or the peer's CPU is slow), so
 * it is measured: the channel sends for one phase with compression and one without, and keeps
 * the mode that moved more payload bytes per second.
 *
 * <p>States:
 * <ul>
 *   <li><em>free</em> (the start): compression is allowed, and the trial watches for a reason
 *       to doubt it: the channel's writer was held back ({@link #writerHeldBack()}: the link,
 *       the peer or the CPU may be the bottleneck), or compressing took at least
 *       {@link #BUSY_SHARE_PERCENT} of the wall time over {@link #BUSY_WINDOW_NANOS}
 *       ({@link #spent(long)}: the compressor itself may be the bottleneck). A writer that
 *       keeps up at a low rate never gives one, and its frames are compressed for free. Nor
 *       does a channel held back by a configured rate limit ({@link #rateLimitWaited}): the
 *       wire budget is then known to be the bottleneck, and compression always pays there;</li>
 *   <li><em>trial</em>: one phase with compression allowed, then one with it off, each at least
 *       {@link #PHASE_NANOS} and {@link #PHASE_MIN_FRAMES} frames long;</li>
 *   <li><em>hold</em>: the winner stays for {@link #HOLD_MIN_NANOS}, doubling up to
 *       {@link #HOLD_MAX_NANOS} while trials keep choosing it. Raw wins only by more than
 *       {@link #RAW_MARGIN_PERCENT} (compression saves bytes, so it wins a tie: an
 *       application-limited writer moves the same either way). Incompressible data is judged
 *       on speed like any other: its compressed phase runs AdaptiveCompression's skip logic (a
 *       1 KiB sample per frame), so a channel mixing text and binary keeps that per-frame
 *       logic unless it costs more than the margin. After a hold comes
 *       another trial, unless compression held and the writer was never held back during it
 *       (then free again).</li>
 * </ul>
 * The cost of being wrong during the trials is bounded: one 50 ms phase in the slower mode
 * per hold, so once holds reach 8 s, under 1 % of a steady channel's time.
 */
public final class ThroughputTrial {
    /** 50 ms: long enough to hold hundreds of 64 KiB frames on a fast link, short enough to cost little. */
    public static final long PHASE_NANOS = 50_000_000L;
    /** At least 8 frames per phase, so a slow channel's rate is not judged from one or two frames. */
    public static final int PHASE_MIN_FRAMES = 8;
    /** 1 s: the first hold after a trial that changed the decision. */
    public static final long HOLD_MIN_NANOS = 1_000_000_000L;
    /** 16 s: the longest hold, reached by doubling while trials keep choosing the same mode. */
    public static final long HOLD_MAX_NANOS = 16_000_000_000L;
    /** Raw must move at least 5 % more payload per second than compressed to win. */
    public static final int RAW_MARGIN_PERCENT = 5;
    /** 100 ms: the window over which a free channel's time spent compressing is summed. */
    public static final long BUSY_WINDOW_NANOS = 100_000_000L;
    /** Compressing for a quarter of the wall time makes the compressor a candidate bottleneck: trial. */
    public static final int BUSY_SHARE_PERCENT = 25;

    /** 1 s: how long a rate-limit wait keeps a channel compressing without trials. */
    public static final long RATE_LIMIT_MEMORY_NANOS = 1_000_000_000L;

    private enum State { FREE, TRIAL_COMPRESSED, TRIAL_RAW, HOLD }

    private State state = State.FREE;
    private boolean heldBack;
    private boolean compressWins = true;
    private boolean decided;
    private long holdNanos = HOLD_MIN_NANOS;
    private boolean windowOpen;
    private long windowStart;
    private long busyNanos;
    private long phaseStart;
    private long phaseBytes;
    private int phaseFrames;
    private long holdUntil;
    private long compressedRate;

    private boolean rateWaited;
    private long rateWaitedAt;

    private long trials;
    private long rawWins;

    /** The channel's writer had to wait (write returned false, or a message was queued). */
    public void writerHeldBack() {
        heldBack = true;
    }

    /**
     * A frame of this channel waited for a configured rate limit (the channel's or its stream's)
     * at {@code now}. Then the wire budget is known to be the bottleneck and a compressed byte
     * costs less of it than a raw one, so no trial is needed: for {@link #RATE_LIMIT_MEMORY_NANOS}
     * after such a wait the channel compresses (free), and a trial or raw hold in progress ends.
     * Measured (the 128 MiB rate-limited bulk test): with trials, noise let raw win some of them
     * and the savings fell from 39.5 to 32.3 MiB between runs.
     */
    public void rateLimitWaited(long now) {
        rateWaitedAt = now;
        rateWaited = true;
        if (state != State.FREE) {
            becomeFree();
        }
    }

    /** Nanoseconds just spent compressing (or sampling) a frame of this channel. */
    public void spent(long nanos) {
        busyNanos += nanos;
    }

    /**
     * Called for every frame large enough to compress, before it is built. Returns whether
     * compression may be tried on it.
     */
    public boolean allows(long now, int payloadBytes) {
        switch (state) {
            case FREE -> {
                if (rateWaited && now - rateWaitedAt < RATE_LIMIT_MEMORY_NANOS) {
                    heldBack = false; // the rate limit explains it: compression pays
                } else if (heldBack || compressorBusy(now)) {
                    startPhase(State.TRIAL_COMPRESSED, now);
                }
            }
            case TRIAL_COMPRESSED, TRIAL_RAW -> {
                if (now - phaseStart >= PHASE_NANOS && phaseFrames >= PHASE_MIN_FRAMES) {
                    endPhase(now);
                }
            }
            case HOLD -> {
                if (now - holdUntil >= 0) {
                    if (heldBack || !compressWins) {
                        startPhase(State.TRIAL_COMPRESSED, now);
                    } else {
                        becomeFree();
                    }
                }
            }
        }
        phaseBytes += payloadBytes;
        phaseFrames++;
        return switch (state) {
            case FREE, TRIAL_COMPRESSED -> true;
            case TRIAL_RAW -> false;
            case HOLD -> compressWins;
        };
    }

    /** Free: did compressing take at least its busy share of the window that just ended? */
    private boolean compressorBusy(long now) {
        if (!windowOpen) {
            windowOpen = true;
            windowStart = now;
            busyNanos = 0;
            return false;
        }
        long elapsed = now - windowStart;
        if (elapsed < BUSY_WINDOW_NANOS) {
            return false;
        }
        boolean busy = busyNanos * 100 >= elapsed * BUSY_SHARE_PERCENT;
        windowStart = now;
        busyNanos = 0;
        return busy;
    }

    private void becomeFree() {
        state = State.FREE;
        windowOpen = false;
        heldBack = false;
    }

    private void startPhase(State phase, long now) {
        state = phase;
        phaseStart = now;
        phaseBytes = 0;
        phaseFrames = 0;
        heldBack = false;
    }

    private void endPhase(long now) {
        long rate = phaseBytes * 1_000_000_000L / Math.max(1, now - phaseStart);
        if (state == State.TRIAL_COMPRESSED) {
            compressedRate = rate;
            startPhase(State.TRIAL_RAW, now);
            return;
        }
        boolean compress = rate * 100 <= compressedRate * (100L + RAW_MARGIN_PERCENT);
        trials++;
        if (!compress) {
            rawWins++;
        }
        holdNanos = decided && compress == compressWins ? Math.min(holdNanos * 2, HOLD_MAX_NANOS) : HOLD_MIN_NANOS;
        decided = true;
        compressWins = compress;
        state = State.HOLD;
        holdUntil = now + holdNanos;
        heldBack = false;
    }

    /** Trials completed. */
    public long trials() {
        return trials;
    }

    /** Trials that sending raw won. */
    public long rawWins() {
        return rawWins;
    }

    /** True while compression is off because the last trial found raw faster. */
    public boolean holdingRaw() {
        return state == State.HOLD && !compressWins;
    }

    /** True while no trial runs or holds: compression allowed, watching for a reason to doubt it. */
    public boolean isFree() {
        return state == State.FREE;
    }

    /** Nanoseconds of the current (or next) hold. */
    long holdNanos() {
        return holdNanos;
    }
}
