package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Sealing from a separate source ({@link FrameCipher#seal(ByteBuffer, int, ByteBuffer, int, int)})
 * puts on the wire exactly what copying the plaintext in and sealing in place does, for every
 * mix of heap and direct memory, and the frame opens again.
 */
class FrameCipherSealFromSourceTest {
    private static final byte[] KEY = new byte[32];
    private static final byte[] IV = new byte[12];
    private static final int AT = 5;
    private static final int SOURCE_AT = 3;
    private static final int SEQ = 41;
    private static final int CH = 7;
    private static final int TYPE = 0x01;
    private static final int ENCRYPTED = 0x02;
    /** A 64-byte frame, one of 64 KiB (the bulk path), and a size that is not a multiple of the AES block. */
    private static final int[] SIZES = {64, 65536, 1001};

    static {
        for (int i = 0; i < KEY.length; i++) {
            KEY[i] = (byte) (i * 7 + 1);
        }
        IV[3] = 9;
    }

    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void sealingFromASourceWritesTheBytesOfSealingInPlace(AeadSuite suite) throws Exception {
        Random random = new Random(1);
        for (int size : SIZES) {
            byte[] plain = new byte[size];
            random.nextBytes(plain);
            ByteBuffer expected = header(ByteBuffer.allocate(AT + 12 + size + 16), size);
            expected.put(AT + 12, plain);
            try (FrameCipher c = FrameCipher.create(suite, KEY, IV, 2)) {
                c.seal(expected, AT, size);
            }
            byte[] wire = bytes(expected, AT, 12 + size + 16);
            for (boolean directOut : new boolean[] {false, true}) {
                for (boolean directSource : new boolean[] {false, true}) {
                    int cap = AT + 12 + size + 16;
                    ByteBuffer out = header(directOut ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap), size);
                    out.limit(AT + 12); // the batch's view ends at the header: the frame goes past it
                    ByteBuffer source = directSource ? ByteBuffer.allocateDirect(SOURCE_AT + size) : ByteBuffer.allocate(SOURCE_AT + size);
                    source.put(SOURCE_AT, plain);
                    source.position(1); // position is not the start of the range
                    try (FrameCipher c = FrameCipher.create(suite, KEY, IV, 2)) {
                        c.seal(out, AT, source, SOURCE_AT, size);
                    }
                    String where = suite + " size " + size + " out " + (directOut ? "direct" : "heap") + " source " + (directSource ? "direct" : "heap");
                    if (!directSource) { // the same from the caller's array itself
                        ByteBuffer fromArray = header(directOut ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap), size);
                        try (FrameCipher c = FrameCipher.create(suite, KEY, IV, 2)) {
                            c.seal(fromArray, AT, source.array(), SOURCE_AT, size);
                        }
                        assertArrayEquals(wire, bytes(fromArray, AT, 12 + size + 16), where + ", byte[] source");
                    }
                    assertArrayEquals(wire, bytes(out, AT, 12 + size + 16), where);
                    assertEquals(AT + 12, out.limit(), where + ": limit restored");
                    assertEquals(1, source.position(), where + ": source untouched");
                    assertEquals(plain[0], source.get(SOURCE_AT), where + ": source plaintext kept");
                    ByteBuffer payload = out.duplicate();
                    payload.limit(AT + 12 + size + 16).position(AT + 12);
                    try (FrameCipher rx = FrameCipher.create(suite, KEY, IV, 2)) {
                        assertEquals(size, rx.open(size + 16, TYPE, SEQ, CH, ENCRYPTED, payload), where);
                    }
                    assertArrayEquals(plain, bytes(out, AT + 12, size), where + ": opens to the plaintext");
                }
            }
        }
    }

    /** Opening decrypts into another array on newer JDKs: a bulk frame still opens in place as seen by the caller, and a bad tag leaves no plaintext. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void aBulkFrameOpensInPlaceAndATamperedOneLeavesNoPlaintext(AeadSuite suite) throws Exception {
        int size = 65536;
        byte[] plain = new byte[size];
        new Random(2).nextBytes(plain);
        for (boolean direct : new boolean[] {false, true}) {
            for (boolean tamper : new boolean[] {false, true}) {
                int cap = AT + 12 + size + 16;
                ByteBuffer frame = header(direct ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap), size);
                try (FrameCipher c = FrameCipher.create(suite, KEY, IV, 0)) {
                    c.seal(frame, AT, ByteBuffer.wrap(plain), 0, size);
                }
                if (tamper) {
                    frame.put(AT + 12 + size + 3, (byte) (frame.get(AT + 12 + size + 3) ^ 1)); // in the tag
                }
                byte[] sealed = bytes(frame, AT + 12, size + 16);
                ByteBuffer payload = frame.duplicate();
                payload.limit(cap).position(AT + 12);
                String where = suite + (direct ? " direct" : " heap") + (tamper ? " tampered" : "");
                try (FrameCipher rx = FrameCipher.create(suite, KEY, IV, 0)) {
                    if (tamper) {
                        assertThrows(AeadFailure.class, () -> rx.open(size + 16, TYPE, SEQ, CH, ENCRYPTED, payload), where);
                        byte[] left = bytes(frame, AT + 12, size);
                        boolean ciphertextOrZeros = java.util.Arrays.equals(left, java.util.Arrays.copyOf(sealed, size))
                                || java.util.Arrays.equals(left, new byte[size]);
                        assertEquals(true, ciphertextOrZeros, where + ": the payload holds the ciphertext or zeros, never plaintext");
                    } else {
                        assertEquals(size, rx.open(size + 16, TYPE, SEQ, CH, ENCRYPTED, payload), where);
                        assertArrayEquals(plain, bytes(frame, AT + 12, size), where);
                        assertEquals(AT + 12, payload.position(), where + ": position kept");
                    }
                }
            }
        }
    }

    @Test
    void aSourceRangeOrFrameThatDoesNotFitIsRefusedBeforeSealing() {
        try (FrameCipher c = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, IV, 0)) {
            ByteBuffer out = header(ByteBuffer.allocate(AT + 12 + 64 + 16), 64);
            assertThrows(IllegalArgumentException.class, () -> c.seal(out, AT, ByteBuffer.allocate(63), 0, 64));
            assertThrows(IllegalArgumentException.class, () -> c.seal(out, AT, ByteBuffer.allocate(64), -1, 64));
            assertThrows(IllegalArgumentException.class, () -> c.seal(out, AT, new byte[64], 1, 64));
            assertThrows(IllegalArgumentException.class, () -> c.seal(ByteBuffer.allocate(AT + 12 + 64 + 15), AT, ByteBuffer.allocate(64), 0, 64));
            // the header must announce this length with ENCRYPTED, as for sealing in place
            assertThrows(IllegalArgumentException.class, () -> c.seal(out, AT, ByteBuffer.allocate(65), 0, 65));
        }
    }

    private static ByteBuffer header(ByteBuffer buf, int size) {
        buf.duplicate().order(ByteOrder.LITTLE_ENDIAN)
                .putInt(AT, size + 16).put(AT + 4, (byte) TYPE).putInt(AT + 5, SEQ).putShort(AT + 9, (short) CH).put(AT + 11, (byte) ENCRYPTED);
        return buf;
    }

    private static byte[] bytes(ByteBuffer buf, int from, int len) {
        byte[] b = new byte[len];
        buf.duplicate().clear().get(from, b); // past the limit the test set on purpose
        return b;
    }
}
