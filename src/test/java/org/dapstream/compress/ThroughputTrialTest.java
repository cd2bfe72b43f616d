package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The trial on a simulated channel: frames of 64 KiB go out at the rate each mode allows,
 * with a manual clock, so every decision is exact.
 */
class ThroughputTrialTest {
    private static final int FRAME = 64 * 1024;
    private final ThroughputTrial trial = new ThroughputTrial();
    private long now = 1_000L; // any origin: the trial compares differences only

    /**
     * Sends frames for {@code nanos} with the writer held back before each frame (saturated),
     * spacing them by the mode's cost per frame. Returns how many went with compression allowed.
     */
    private int saturated(long nanos, long compressedFrameNanos, long rawFrameNanos) {
        long end = now + nanos;
        int allowed = 0;
        while (now < end) {
            trial.writerHeldBack();
            if (trial.allows(now, FRAME)) {
                allowed++;
                now += compressedFrameNanos;
            } else {
                now += rawFrameNanos;
            }
        }
        return allowed;
    }

    @Test
    void aWriterThatKeepsUpAtALowRateAlwaysCompresses() {
        for (int i = 0; i < 10_000; i++) {
            assertTrue(trial.allows(now, FRAME));
            trial.spent(58_000); // 58 µs compressing every 1 ms: 6 % of the time
            now += 1_000_000;
        }
        assertEquals(0, trial.trials());
        assertTrue(trial.isFree());
    }

    @Test
    void aCompressorThatIsTheBottleneckIsFoundWithoutBackPressure() {
        // The writer is never held back: compressing makes the sender itself the slow part
        // (58 µs of a 64 µs frame), which is exactly when the socket and credit never fill.
        long end = now + ThroughputTrial.BUSY_WINDOW_NANOS + 2 * ThroughputTrial.PHASE_NANOS + 2_000_000;
        while (now < end) {
            if (trial.allows(now, FRAME)) {
                trial.spent(58_000);
                now += 64_000;
            } else {
                now += 30_000;
            }
        }
        assertEquals(1, trial.trials());
        assertTrue(trial.holdingRaw());
    }

    @Test
    void onALinkFasterThanTheCompressorRawWinsAndHolds() {
        // Loopback-like: 64 µs per compressed frame, 30 µs per raw frame.
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 64_000, 30_000);
        assertEquals(1, trial.trials());
        assertEquals(1, trial.rawWins());
        assertTrue(trial.holdingRaw());
        // During the hold nothing is compressed.
        int allowed = saturated(ThroughputTrial.HOLD_MIN_NANOS - 5_000_000, 64_000, 30_000);
        assertEquals(0, allowed);
    }

    @Test
    void whereTheLinkIsTheLimitCompressionWins() {
        // A 1 Gbit/s link: a raw 64 KiB frame takes 524 µs on the wire, a compressed one (0.32) 168 µs.
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 2_000_000, 168_000, 524_000);
        assertEquals(1, trial.trials());
        assertEquals(0, trial.rawWins());
        assertFalse(trial.holdingRaw());
        int sent = 0;
        int allowed = 0;
        long end = now + ThroughputTrial.HOLD_MIN_NANOS - 5_000_000;
        while (now < end) {
            trial.writerHeldBack();
            sent++;
            if (trial.allows(now, FRAME)) {
                allowed++;
            }
            now += 168_000;
        }
        assertEquals(sent, allowed, "compression stays on for the whole hold");
    }

    @Test
    void aTieGoesToCompressionAndAClearRawWinToRaw() {
        // Raw only 4 % faster: within the margin, compression (which saves bytes) stays.
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 104_000, 100_000);
        assertEquals(0, trial.rawWins());
        ThroughputTrial other = new ThroughputTrial();
        long t = 0;
        // Raw 10 % faster: raw wins.
        int frames = 0;
        while (other.trials() == 0 && frames++ < 100_000) {
            other.writerHeldBack();
            t += other.allows(t, FRAME) ? 110_000 : 100_000;
        }
        assertEquals(1, other.trials());
        assertEquals(1, other.rawWins());
    }

    @Test
    void incompressibleDataIsJudgedOnSpeedLikeAnyOther() {
        // Equal speed (a rate limit, or the skip logic costing nothing): compression keeps the tie.
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 30_000, 30_000);
        assertEquals(0, trial.rawWins());
        assertFalse(trial.holdingRaw());
    }

    @Test
    void holdsDoubleWhileTrialsAgreeUpToTheMaximum() {
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 64_000, 30_000);
        assertEquals(ThroughputTrial.HOLD_MIN_NANOS, trial.holdNanos());
        long expected = ThroughputTrial.HOLD_MIN_NANOS;
        for (int round = 2; round <= 8; round++) {
            long before = trial.trials();
            // Run through the hold and the next trial.
            while (trial.trials() == before) {
                saturated(1_000_000, 64_000, 30_000);
            }
            expected = Math.min(expected * 2, ThroughputTrial.HOLD_MAX_NANOS);
            assertEquals(expected, trial.holdNanos(), "after trial " + round);
        }
        assertEquals(ThroughputTrial.HOLD_MAX_NANOS, trial.holdNanos());
        assertEquals(8, trial.rawWins());
    }

    @Test
    void aChangedWinnerStartsAgainFromTheShortestHold() {
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 64_000, 30_000);
        while (trial.trials() < 3) {
            saturated(1_000_000, 64_000, 30_000);
        }
        assertEquals(4 * ThroughputTrial.HOLD_MIN_NANOS, trial.holdNanos());
        // The link slows down: now compression wins, and the hold starts at 1 s again.
        while (trial.trials() < 4) {
            saturated(1_000_000, 168_000, 524_000);
        }
        assertFalse(trial.holdingRaw());
        assertEquals(ThroughputTrial.HOLD_MIN_NANOS, trial.holdNanos());
    }

    @Test
    void aRawHoldAlwaysEndsInATrialAndAnApplicationLimitedWriterGetsCompressionBack() {
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 64_000, 30_000);
        assertTrue(trial.holdingRaw());
        // The application slows to one frame per ms, below what either mode can carry.
        now += ThroughputTrial.HOLD_MIN_NANOS;
        long end = now + 2 * ThroughputTrial.PHASE_NANOS + 2_000_000;
        while (now < end) {
            if (trial.allows(now, FRAME)) {
            }
            now += 1_000_000;
        }
        assertEquals(2, trial.trials(), "the raw hold's end started a trial without any back-pressure");
        assertEquals(1, trial.rawWins(), "equal rates: compression wins the tie");
        assertFalse(trial.holdingRaw());
        // The compression hold ends with the writer never held back: free again.
        now += ThroughputTrial.HOLD_MIN_NANOS;
        assertTrue(trial.allows(now, FRAME));
        assertTrue(trial.isFree());
    }

    @Test
    void aCompressionHoldWithBackPressureEndsInAnotherTrial() {
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 2_000_000, 168_000, 524_000);
        assertFalse(trial.holdingRaw());
        saturated(ThroughputTrial.HOLD_MIN_NANOS + 1_000_000, 168_000, 524_000);
        assertFalse(trial.isFree(), "held back during the hold: a trial runs, not free");
    }

    @Test
    void aPhaseNeedsItsMinimumFramesOnASlowChannel() {
        // One frame per 40 ms: the phase outlasts 50 ms until 8 frames went.
        trial.writerHeldBack();
        trial.allows(now, FRAME);
        for (int i = 1; i < ThroughputTrial.PHASE_MIN_FRAMES; i++) {
            now += 40_000_000;
            trial.writerHeldBack();
            assertTrue(trial.allows(now, FRAME), "frame " + i + " is still in the compressed phase");
        }
        now += 40_000_000;
        trial.writerHeldBack();
        assertFalse(trial.allows(now, FRAME), "the 9th frame starts the raw phase");
    }

    @Test
    void aRateLimitWaitEndsARawHoldAndKeepsTrialsAwayForItsMemory() {
        saturated(ThroughputTrial.PHASE_NANOS * 2 + 1_000_000, 64_000, 30_000);
        assertTrue(trial.holdingRaw());
        trial.rateLimitWaited(now);
        assertTrue(trial.isFree(), "a rate-limit wait ends the raw hold");
        // Held back all along, but by the limit: no trial while the wait is remembered.
        long end = now + ThroughputTrial.RATE_LIMIT_MEMORY_NANOS - 1_000_000;
        while (now < end) {
            trial.writerHeldBack();
            assertTrue(trial.allows(now, FRAME));
            now += 1_000_000;
        }
        assertEquals(1, trial.trials());
        // No wait for longer than the memory: back-pressure starts a trial again.
        now += 2_000_000;
        trial.writerHeldBack();
        trial.allows(now, FRAME);
        assertFalse(trial.isFree(), "a trial started");
    }
}
