package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;

/** The per-frame decision, observed through what it returns, its counters and what it writes. */
class AdaptiveCompressionTest {
    private static final int SIZE = 4096;
    private static final byte UNTOUCHED = 0x5A;
    /** skipFrames 4, so the doubling is seen within a few frames; a long reprobe time unless a test sets the clock. */
    private static final CompressionPolicy POLICY = new CompressionPolicy(1024, 10, 4, Duration.ofSeconds(10));

    private long now = 1_000_000_000L;
    private final AdaptiveCompression adaptive = new AdaptiveCompression(POLICY, () -> now);
    private final ByteBuffer dst = ByteBuffer.allocateDirect(Lz4Payload.maxCompressedLength(SIZE));
    private int seed;

    @Test
    void logTextShrinksAndGoesCompressed() throws CompressionException {
        long in = 0;
        long out = 0;
        for (int i = 0; i < 5; i++) {
            byte[] text = Payloads.logText(SIZE, i);
            int n = adaptive.compress(ByteBuffer.wrap(text), 0, SIZE, dst, 0);
            assertTrue(n > 0 && n < SIZE * 6 / 10, "compressed to " + n);
            in += SIZE;
            out += n;
            // What it wrote is a valid COMPRESSED payload of the frame.
            ByteBuffer back = ByteBuffer.allocate(SIZE);
            assertEquals(SIZE, Lz4Payload.decompress(dst, 0, n, back, 0, SIZE));
            assertArrayEquals(text, back.array());
        }
        assertEquals(5, adaptive.framesCompressed());
        assertEquals(0, adaptive.framesSkipped());
        assertEquals(0, adaptive.probesFailed());
        assertEquals(in, adaptive.bytesIn());
        assertEquals(out, adaptive.bytesOut());
        assertEquals(in - out, adaptive.savedBytes());
    }

    @Test
    void belowMinSizeIsNeverTried() {
        clearDst();
        assertEquals(-1, adaptive.compress(ByteBuffer.wrap(Payloads.logText(1023, 1)), 0, 1023, dst, 0));
        assertEquals(-1, adaptive.compress(ByteBuffer.wrap(Payloads.logText(64, 1)), 0, 64, dst, 0));
        assertUntried();
        assertEquals(0, adaptive.framesSkipped(), "too small is not eligible, so not counted as skipped");
        assertTrue(adaptive.compress(ByteBuffer.wrap(Payloads.logText(1024, 1)), 0, 1024, dst, 0) > 0, "1024 is eligible");
    }

    @Test
    void randomDataIsProbedThenSkippedThenProbedAgainByFrameCount() {
        assertEquals(-1, sendRandom());              // frame 1: tried, did not shrink
        assertEquals(1, adaptive.probesFailed());
        assertEquals(1, adaptive.framesSkipped());

        for (int i = 0; i < 4; i++) {                // frames 2..5: the 4 skipped without trying
            clearDst();
            assertEquals(-1, sendRandom());
            assertUntried();
        }
        assertEquals(1, adaptive.probesFailed());
        assertEquals(5, adaptive.framesSkipped());

        assertEquals(-1, sendRandom());              // frame 6: the probe, fails again
        assertEquals(2, adaptive.probesFailed());

        for (int i = 0; i < 8; i++) {                // the skip doubled: 8 frames untried
            clearDst();
            assertEquals(-1, sendRandom());
            assertUntried();
        }
        assertEquals(2, adaptive.probesFailed());
        assertEquals(-1, sendRandom());              // then the third probe
        assertEquals(3, adaptive.probesFailed());
        assertEquals(15, adaptive.framesSkipped());
        assertEquals(0, adaptive.framesCompressed());
    }

    @Test
    void theSkipStopsGrowingAtItsCap() {
        int skip = POLICY.skipFrames();
        for (int probe = 1; probe <= 10; probe++) {
            assertEquals(-1, sendRandom());
            assertEquals(probe, adaptive.probesFailed());
            int expected = Math.min(skip << (probe - 1), skip * CompressionPolicy.MAX_SKIP_GROWTH);
            for (int i = 0; i < expected; i++) {
                sendRandom();
            }
            assertEquals(probe, adaptive.probesFailed(), "probe " + probe + " skips " + expected);
        }
    }

    @Test
    void aProbeHappensAgainWhenReprobeAfterHasPassed() {
        assertEquals(-1, sendRandom());
        now += Duration.ofSeconds(10).toNanos() - 1;
        clearDst();
        assertEquals(-1, sendRandom());
        assertUntried();                             // 1 ns short of reprobeAfter, 3 frames of skip left
        now += 1;
        assertEquals(-1, sendRandom());
        assertEquals(2, adaptive.probesFailed(), "probed on time, before the frame count ran out");
    }

    @Test
    void dataTurningCompressibleIsCompressedFromItsFirstFrameThroughTheSample() {
        assertEquals(-1, sendRandom());
        clearDst();
        assertEquals(-1, sendRandom());              // within the skip: only sampled
        assertUntried();
        assertEquals(1, adaptive.samples());
        assertTrue(sendText() > 0, "within the skip, the sample finds the text compressible and the frame is tried");
        assertEquals(2, adaptive.samples());
        assertTrue(sendText() > 0, "and compression stays on, without samples");
        assertEquals(2, adaptive.samples());
        assertEquals(2, adaptive.framesCompressed());

        // A success resets the skip: the next failure skips skipFrames again, not more.
        assertEquals(-1, sendRandom());
        for (int i = 0; i < 4; i++) {
            sendRandom();
        }
        assertEquals(2, adaptive.probesFailed());
        sendRandom();
        assertEquals(3, adaptive.probesFailed());
    }

    @Test
    void minSavingsDecides() {
        // Half random, half text: shrinks by some 30 %, which passes 10 % and fails 40 %.
        byte[] mixed = Payloads.random(SIZE, 3);
        System.arraycopy(Payloads.logText(SIZE / 2, 3), 0, mixed, SIZE / 2, SIZE / 2);
        ByteBuffer src = ByteBuffer.wrap(mixed);
        int n = adaptive.compress(src, 0, SIZE, dst, 0);
        assertTrue(n > SIZE * 6 / 10 && n < SIZE * 9 / 10, "mixed compressed to " + n);
        AdaptiveCompression strict = new AdaptiveCompression(new CompressionPolicy(1024, 40, 4, Duration.ofSeconds(1)), () -> now);
        assertEquals(-1, strict.compress(src, 0, SIZE, dst, 0));
        assertEquals(1, strict.probesFailed());
    }

    @Test
    void defaultsAndValidation() {
        CompressionPolicy d = CompressionPolicy.defaults();
        assertEquals(CompressionPolicy.DEFAULT_MIN_SIZE, d.minSize());
        assertEquals(CompressionPolicy.DEFAULT_MIN_SAVINGS_PERCENT, d.minSavingsPercent());
        assertEquals(CompressionPolicy.DEFAULT_SKIP_FRAMES, d.skipFrames());
        assertEquals(CompressionPolicy.DEFAULT_REPROBE_AFTER, d.reprobeAfter());
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(-1, 10, 4, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(0, 100, 4, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(0, -1, 4, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(0, 10, -1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(0, 10, 4, Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> new CompressionPolicy(0, 10, 4, null));
        // A reprobe time of centuries does not overflow: probing goes by frame count.
        AdaptiveCompression slow = new AdaptiveCompression(new CompressionPolicy(0, 10, 1, Duration.ofDays(365L * 300)), () -> now);
        ByteBuffer random = ByteBuffer.wrap(Payloads.random(SIZE, 9));
        slow.compress(random, 0, SIZE, dst, 0);
        slow.compress(random, 0, SIZE, dst, 0);
        assertEquals(1, slow.probesFailed());
        slow.compress(random, 0, SIZE, dst, 0);
        assertEquals(2, slow.probesFailed());
    }

    private int sendRandom() {
        return adaptive.compress(ByteBuffer.wrap(Payloads.random(SIZE, ++seed)), 0, SIZE, dst, 0);
    }

    private int sendText() {
        return adaptive.compress(ByteBuffer.wrap(Payloads.logText(SIZE, ++seed)), 0, SIZE, dst, 0);
    }

    private void clearDst() {
        for (int i = 0; i < dst.capacity(); i++) {
            dst.put(i, UNTOUCHED);
        }
    }

    /** Not tried: the compressor wrote nothing. */
    /** Only the sample may have been compressed (into the start of dst): the rest is untouched, the frame was not tried. */
    private void assertUntried() {
        for (int i = Lz4Payload.maxCompressedLength(AdaptiveCompression.SAMPLE_BYTES); i < dst.capacity(); i++) {
            assertEquals(UNTOUCHED, dst.get(i), "dst written at " + i + ": the frame was tried");
        }
    }
}
