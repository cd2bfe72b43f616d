package org.dapstream.compress;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AdaptiveCompression with the throughput goal, on a saturated channel (the writer held back
 * before every frame), a manual clock and 64 KiB frames: what the trial decides on random data,
 * and how fast text after it is compressed again.
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

    @Test
    void randomDataOnASaturatedChannelHoldsRawAndSamplesOneFrameInSixteen() {
        for (int i = 0; i < 4000 && !adaptive.trial().holdingRaw(); i++) {
            assertEquals(-1, send(random));
        }
        assertTrue(adaptive.trial().holdingRawForIncompressibleData(), "the compressed phase compressed nothing");
        long samplesBefore = adaptive.samples();
        for (int i = 0; i < 1600; i++) {
            assertEquals(-1, send(random));
        }
        assertEquals(1600 / AdaptiveCompression.RAW_HOLD_SAMPLE_EVERY, adaptive.samples() - samplesBefore,
                "one frame in 16 sampled during the hold");
        assertTrue(adaptive.trial().holdingRawForIncompressibleData());
    }

    @Test
    void textAfterRandomIsCompressedAgainWithinSixteenFrames() {
        for (int i = 0; i < 4000 && !adaptive.trial().holdingRaw(); i++) {
            send(random);
        }
        assertTrue(adaptive.trial().holdingRaw());
        int raw = 0;
        int n = -1;
        for (int k = 0; k < 100 && n < 0; k++) {
            n = send(Payloads.logText(SIZE, k));
            if (n < 0) {
                raw++;
            }
        }
        assertTrue(n > 0 && n < SIZE / 2, "text went compressed: " + n);
        assertTrue(raw < AdaptiveCompression.RAW_HOLD_SAMPLE_EVERY, raw + " text frames went raw first");
        assertTrue(adaptive.trial().isFree(), "the hold ended: free again");
    }

    @Test
    void aRawHoldForSpeedIsNotEndedBySamples() {
        // Loopback-like: compressing text costs 64 µs a frame, sending it raw 30 µs.
        byte[] text = Payloads.logText(SIZE, 1);
        for (int i = 0; i < 10_000 && !adaptive.trial().holdingRaw(); i++) {
            adaptive.writerHeldBack();
            int r = adaptive.compress(ByteBuffer.wrap(text), 0, SIZE, dst, 0);
            now += r >= 0 ? 64_000 : 30_000;
        }
        assertTrue(adaptive.trial().holdingRaw());
        assertTrue(!adaptive.trial().holdingRawForIncompressibleData(), "raw won on speed");
        long samples = adaptive.samples();
        for (int i = 0; i < 100; i++) {
            assertEquals(-1, send(text));
        }
        assertEquals(samples, adaptive.samples(), "no sampling while raw holds for speed");
    }
}
