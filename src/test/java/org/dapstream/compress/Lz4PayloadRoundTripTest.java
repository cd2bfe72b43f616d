package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * compress then decompress gives the input back, for every size class, text and random data,
 * heap and direct buffers on both sides, at non-zero offsets; positions and limits are never
 * moved, and nothing is written outside the ranges; on the JNI and the pure-Java implementation.
 */
class Lz4PayloadRoundTripTest {
    private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 12, 13, 63, 64, 1023, 1024, 4096, 65_536, 65_536 + 8};
    private static final int SRC_OFF = 7;
    private static final int DST_OFF = 5;
    private static final byte GUARD = (byte) 0xA5;

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int size : SIZES) {
            for (String kind : new String[] {"text", "random"}) {
                for (boolean directSrc : new boolean[] {false, true}) {
                    for (boolean directDst : new boolean[] {false, true}) {
                        cases.add(Arguments.of(Codecs.JNI, size, kind, directSrc, directDst));
                        cases.add(Arguments.of(Codecs.JAVA, size, kind, directSrc, directDst));
                    }
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}: {1} bytes of {2}, direct src {3}, direct dst {4}")
    @MethodSource("cases")
    void roundTrips(String implementation, int size, String kind, boolean directSrc, boolean directDst) throws CompressionException {
        Lz4Codec codec = Codecs.of(implementation);
        byte[] input = kind.equals("text") ? Payloads.logText(size, size) : Payloads.random(size, size);
        ByteBuffer src = buffer(directSrc, SRC_OFF + size + 3);
        src.put(SRC_OFF, input);
        int room = codec.maxCompressedLength(size);
        ByteBuffer compressed = buffer(directDst, DST_OFF + room + 3);
        setMarks(src, compressed);

        int written = codec.compress(src, SRC_OFF, size, compressed, DST_OFF);

        assertTrue(written >= Lz4Payload.LENGTH_PREFIX + 1 && written <= room, () -> "wrote " + written + " of room " + room);
        assertMarksKept(src, compressed);
        assertGuards(compressed, DST_OFF, written);
        if (kind.equals("text") && size >= 1024) {
            // 1 KiB of it shrinks to about 53 %, 4 KiB and more to about 35 %.
            assertTrue(written * 10L < size * 6L, () -> "log text of " + size + " bytes compressed only to " + written);
        }

        // Decompress the other way round (direct source into heap, ...), from the same offsets.
        ByteBuffer in = buffer(!directDst, DST_OFF + written + 1);
        for (int i = 0; i < written; i++) {
            in.put(DST_OFF + i, compressed.get(DST_OFF + i));
        }
        ByteBuffer out = buffer(!directSrc, SRC_OFF + size + 3);
        setMarks(in, out);
        int n = codec.decompress(in, DST_OFF, written, out, SRC_OFF, 65_536 + 8);

        assertEquals(size, n);
        assertMarksKept(in, out);
        assertGuards(out, SRC_OFF, size);
        byte[] back = new byte[size];
        out.duplicate().clear().get(SRC_OFF, back);
        assertArrayEquals(input, back);
    }

    private static ByteBuffer buffer(boolean direct, int capacity) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
        for (int i = 0; i < capacity; i++) {
            b.put(i, GUARD);
        }
        return b;
    }

    /** Position 1, limit one short of capacity: the codec addresses by absolute index and must leave both alone. */
    private static void setMarks(ByteBuffer... buffers) {
        for (ByteBuffer b : buffers) {
            b.limit(b.capacity() - 1).position(1);
        }
    }

    private static void assertMarksKept(ByteBuffer... buffers) {
        for (ByteBuffer b : buffers) {
            assertEquals(1, b.position(), "position moved");
            assertEquals(b.capacity() - 1, b.limit(), "limit moved");
        }
    }

    private static void assertGuards(ByteBuffer buffer, int off, int len) {
        ByteBuffer b = buffer.duplicate().clear(); // the whole capacity, past the limit too
        for (int i = 0; i < b.capacity(); i++) {
            if (i < off || i >= off + len) {
                int index = i;
                assertEquals(GUARD, b.get(i), () -> "byte " + index + " outside [" + off + ", +" + len + ") was written");
            }
        }
    }
}
