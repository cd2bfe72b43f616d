package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * AdaptiveCompression with the throughput goal, on a saturated channel (the writer held back
 * before every frame), a manual clock and 64 KiB frames: random data is judged on speed like any
 * other, the skip logic keeps working under a compression hold, and a raw hold costs nothing.
 */
class AdaptiveCompressionTrialTest {
    private static final int SIZE = 64 * 1024;
    private long now = 5_000_000_000L;
    private final AdaptiveCompression adaptive = new AdaptiveCompression(CompressionPolicy.defaults(), CompressionGoal.THROUGHPUT, () -> now);
    private final ByteBuffer dst = ByteBuffer.allocateDirect(Lz4Payload.maxCompressedLength(SIZE));
    private final byte[] random = new byte[SIZE];

    AdaptiveCompressionTrialTest() {
        new SplittableRandom(3).nextBytes(random);
    }

    private int send(byte[] frame) {
        adaptive.writerHeldBack();
        int n = adaptive.compress(ByteBuffer.wrap(frame), 0, SIZE, dst, 0);
        now += 30_000; // 30 µs a frame
        return n;
    }

    /** Runs random frames, saturated, until the first trial has decided. */
    private void firstTrialOnRandomData() {
        for (int i = 0; i < 4000 && adaptive.trial().trials() == 0; i++) {
            assertEquals(-1, send(random));
        }
        assertEquals(1, adaptive.trial().trials());
    }

    @Test
    void randomDataAtEqualSpeedKeepsCompressionAllowedAndItsSkipLogic() {
        firstTrialOnRandomData();
        assertEquals(0, adaptive.trial().rawWins(), "equal speed: compression keeps the tie");
        long samples = adaptive.samples();
        for (int i = 0; i < 100; i++) {
            assertEquals(-1, send(random));
        }
        assertTrue(adaptive.samples() - samples >= 90, "skipping random data samples each frame: " + (adaptive.samples() - samples));
    }

    @Test
    void textAfterRandomIsCompressedFromItsFirstFrame() {
        firstTrialOnRandomData();
        int n = send(Payloads.logText(SIZE, 1));
        assertTrue(n > 0 && n < SIZE / 2, "the first text frame went compressed: " + n);
    }

    @Test
    void aRawHoldForSpeedDoesNoCompressionWorkAtAll() {
        // Loopback-like: compressing text costs 64 µs a frame, sending it raw 30 µs.
        byte[] text = Payloads.logText(SIZE, 1);
        for (int i = 0; i < 10_000 && !adaptive.trial().holdingRaw(); i++) {
            adaptive.writerHeldBack();
            int r = adaptive.compress(ByteBuffer.wrap(text), 0, SIZE, dst, 0);
            now += r >= 0 ? 64_000 : 30_000;
        }
        assertTrue(adaptive.trial().holdingRaw(), "raw won on speed");
        long samples = adaptive.samples();
        long trialRaw = adaptive.framesTrialRaw();
        for (int i = 0; i < 100; i++) {
            assertEquals(-1, send(text));
        }
        assertEquals(samples, adaptive.samples(), "no sampling while raw holds for speed");
        assertEquals(trialRaw + 100, adaptive.framesTrialRaw(), "every frame of the hold counted as sent raw by the trial");
    }
}
