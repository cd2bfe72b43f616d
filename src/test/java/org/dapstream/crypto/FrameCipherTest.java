package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

class FrameCipherTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY = new byte[32];
    private static final byte[] STATIC_IV = HEX.parseHex("a0a1a2a3a4a5a6a7a8a9aaab");
    private static final byte[] PLAIN = "DAP Stream frame cipher test vector: 64 bytes of payload text!!!".getBytes(StandardCharsets.US_ASCII);
    private static final int EPOCH = 1;
    private static final int TYPE = 0x01;
    private static final int SEQ = 17;
    private static final int CH = 3;
    private static final int FLAGS = 0x02;

    static {
        for (int i = 0; i < KEY.length; i++) {
            KEY[i] = (byte) i;
        }
    }

    /**
     * Computed independently with Python's {@code cryptography} (OpenSSL): header
     * 500000000111000000030002, nonce a3a1a2a3a5a5a6a7b9a9aaab, ciphertext || tag.
     */
    private static final String AES_GOLDEN = "beab723aef85a314b5ff4edc04e3b9f6e479aa2aff13b7bb2a23d608357f413a"
            + "b21e1c4fcfff3ddc94f427de360e8b5bbbcf5046c6c2693def667ea40e7e75a0" + "7acb2935a99ad5292e96f0c236210512";
    private static final String CHACHA_GOLDEN = "ca3978958d600a5d9008ee5bb73538588e8cc252f8a2f73302c16d34840d544a"
            + "bd87cfe7c817de49ebbd2859c2dd33463b9167b1f7caab80465e939685f74178" + "14dc9c3a082404c458719a47aa798fee";

    @Test
    void aesGcmSealMatchesTheIndependentVectorOnHeapAndDirectBuffers() {
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer buf = frame(direct, 5, SEQ, CH, PLAIN);
            try (FrameCipher c = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, STATIC_IV, EPOCH)) {
                c.seal(buf, 5, PLAIN.length);
            }
            assertEquals("500000000111000000030002" + AES_GOLDEN, HEX.formatHex(bytes(buf, 5, 12 + 80)), "direct=" + direct);
        }
    }

    @Test
    void chaChaSealMatchesTheIndependentVectorOnHeapAndDirectBuffers() {
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer buf = frame(direct, 0, SEQ, CH, PLAIN);
            try (FrameCipher c = FrameCipher.create(AeadSuite.CHACHA20_POLY1305, KEY, STATIC_IV, EPOCH)) {
                c.seal(buf, 0, PLAIN.length);
            }
            assertEquals(CHACHA_GOLDEN, HEX.formatHex(bytes(buf, 12, 80)), "direct=" + direct);
        }
    }

    /** Sealing from the sender's array writes the same bytes as sealing in place: the golden vector, heap and direct. */
    @Test
    void sealFromTheSendersArrayMatchesTheIndependentVector() {
        byte[] source = new byte[PLAIN.length + 9];
        System.arraycopy(PLAIN, 0, source, 4, PLAIN.length);
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer buf = frame(direct, 5, SEQ, CH, new byte[PLAIN.length]); // header only; the payload bytes are zeros
            ByteBuffer before = buf.duplicate();
            try (FrameCipher c = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, STATIC_IV, EPOCH)) {
                c.seal(buf, 5, source, 4, PLAIN.length);
            }
            assertEquals("500000000111000000030002" + AES_GOLDEN, HEX.formatHex(bytes(buf, 5, 12 + 80)), "direct=" + direct);
            assertEquals(before.position(), buf.position());
            assertEquals(before.limit(), buf.limit());
        }
    }

    /** Opening into a scratch buffer: the plaintext wherever it lands, the direct frame as received, nothing left after a bad tag. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void openWithScratchGivesThePlaintextAndLeavesDirectFramesAsReceived(AeadSuite suite) throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            for (int len : new int[] {0, 64, 511, 512, 65536}) {
                byte[] plain = new byte[len];
                new Random(len).nextBytes(plain);
                ByteBuffer buf = frame(direct, 3, SEQ, CH, plain);
                try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH);
                     FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
                    tx.seal(buf, 3, len);
                    byte[] sealed = bytes(buf, 3 + 12, len + 16);
                    ByteBuffer scratch = ByteBuffer.allocate(len + 16 + 5);
                    ByteBuffer out = rx.open(len + 16, TYPE, SEQ, CH, FLAGS, view(buf, 3 + 12, len + 16), scratch);
                    assertEquals(len, out.remaining(), suite + " direct=" + direct + " len=" + len);
                    assertArrayEquals(plain, bytes(out, out.position(), len), suite + " direct=" + direct + " len=" + len);
                    if (direct) {
                        assertArrayEquals(sealed, bytes(buf, 3 + 12, len + 16), "a direct frame is never written");
                    }
                }
                ByteBuffer again = frame(direct, 3, SEQ, CH, plain);
                try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH);
                     FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
                    tx.seal(again, 3, len);
                    again.put(3 + 12 + len, (byte) (again.get(3 + 12 + len) ^ 1)); // the tag's first byte
                    ByteBuffer scratch = ByteBuffer.allocate(len + 16);
                    assertThrows(AeadFailure.class, () -> rx.open(len + 16, TYPE, SEQ, CH, FLAGS, view(again, 3 + 12, len + 16), scratch));
                    assertArrayEquals(new byte[len + 16], scratch.array(), "no plaintext in the scratch after a bad tag");
                }
            }
        }
    }

    /** Extreme channel, seq and epoch values: the nonce layout against JCE's one-shot with a nonce built here. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void sealEqualsJceOneShotForExtremeCounters(AeadSuite suite) throws Exception {
        int[][] cases = {{0, 0, 0}, {0xFFFF, -1, -1}, {0x1234, 0x89ABCDEF, 0x7FFFFFFF}};
        for (int[] k : cases) {
            int ch = k[0], seq = k[1], epoch = k[2];
            ByteBuffer buf = frame(false, 0, seq, ch, PLAIN);
            byte[] header = bytes(buf, 0, 12);
            try (FrameCipher c = FrameCipher.create(suite, KEY, STATIC_IV, epoch)) {
                c.seal(buf, 0, PLAIN.length);
            }
            byte[] mask = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) ch).putShort((short) 0).putInt(epoch).putInt(seq).array();
            byte[] nonce = new byte[12];
            for (int i = 0; i < 12; i++) {
                nonce[i] = (byte) (STATIC_IV[i] ^ mask[i]);
            }
            Cipher jce = Cipher.getInstance(suite == AeadSuite.AES_256_GCM ? "AES/GCM/NoPadding" : "ChaCha20-Poly1305");
            jce.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, suite == AeadSuite.AES_256_GCM ? "AES" : "ChaCha20"),
                    suite == AeadSuite.AES_256_GCM ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce));
            jce.updateAAD(header);
            assertArrayEquals(jce.doFinal(PLAIN), bytes(buf, 12, 80), "ch " + ch + " seq " + seq + " epoch " + epoch);
        }
    }

    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void openRestoresThePlaintextInPlaceAndKeepsPositionAndLimit(AeadSuite suite) throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            for (int len : new int[] {0, 1, 64, 65536}) {
                byte[] plain = new byte[len];
                new Random(len).nextBytes(plain);
                ByteBuffer buf = frame(direct, 3, SEQ, CH, plain);
                try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH);
                     FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
                    tx.seal(buf, 3, len);
                    assertEquals(0, buf.position());
                    ByteBuffer payload = view(buf, 3 + 12, len + 16);
                    int n = rx.open(len + 16, TYPE, SEQ, CH, FLAGS, payload);
                    assertEquals(len, n);
                    assertEquals(3 + 12, payload.position());
                    assertEquals(3 + 12 + len + 16, payload.limit());
                    assertArrayEquals(plain, bytes(buf, 3 + 12, len), suite + " direct=" + direct + " len=" + len);
                }
            }
        }
    }

    /** A buffer whose limit ends at the plaintext (a view of what was written): the tag still goes after it, the limit stays. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void sealWritesTheTagPastALimitThatEndsAtThePlaintext(AeadSuite suite) throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer buf = frame(direct, 0, SEQ, CH, PLAIN);
            buf.limit(12 + PLAIN.length).position(4);
            try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH);
                 FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
                tx.seal(buf, 0, PLAIN.length);
                assertEquals(12 + PLAIN.length, buf.limit());
                assertEquals(4, buf.position());
                buf.clear();
                assertEquals(64, rx.open(80, TYPE, SEQ, CH, FLAGS, view(buf, 12, 80)), "direct=" + direct);
                assertArrayEquals(PLAIN, bytes(buf, 12, 64));
            }
        }
    }

    /** Consecutive frames through one cipher pair, as a stream sends them (the reused view and cipher state). */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void manyFramesThroughOneCipherPair(AeadSuite suite) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(12 + 64 + 16);
        try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH);
             FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
            for (int seq = 0; seq < 1000; seq++) {
                byte[] plain = Arrays.copyOf(PLAIN, 64);
                plain[0] = (byte) seq;
                writeFrame(buf, 0, seq, seq % 7, plain);
                tx.seal(buf, 0, 64);
                assertEquals(64, rx.open(80, TYPE, seq, seq % 7, FLAGS, view(buf, 12, 80)));
                assertArrayEquals(plain, bytes(buf, 12, 64));
            }
        }
    }

    /** Every byte after the size field (header type/seq/ch/flags, ciphertext, tag), flipped in turn. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void everyTamperedByteIsRejectedAndLeavesNoPlaintext(AeadSuite suite) {
        for (boolean direct : new boolean[] {false, true}) {
            byte[] good = sealedFrame(suite);
            try (FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
                for (int i = 4; i < good.length; i++) {
                    byte[] bad = good.clone();
                    bad[i] ^= 0x01;
                    ByteBuffer h = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
                    ByteBuffer buf = direct ? ByteBuffer.allocateDirect(bad.length).put(bad).clear() : ByteBuffer.wrap(bad);
                    byte[] before = bytes(buf, 12, 80);
                    int index = i;
                    AeadFailure f = assertThrows(AeadFailure.class,
                            () -> rx.open(80, h.get(4), h.getInt(5), h.getShort(9) & 0xFFFF, h.get(11), view(buf, 12, 80)), "byte " + index);
                    assertTrue(f.getMessage().contains("authentication"), f.getMessage());
                    byte[] after = bytes(buf, 12, 80);
                    // The ciphertext as received (JDK 17), or zeros (JDK 25 decrypts in place before the tag check): never plaintext.
                    assertTrue(Arrays.equals(before, after) || Arrays.equals(new byte[80], after),
                            "payload after failed open of tampered byte " + i + " is neither the ciphertext nor zeros: " + HEX.formatHex(after));
                }
            }
        }
    }

    /** A changed size moves the frame boundary: fewer or more bytes reach open, with the changed size in the AAD. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void changedSizeIsRejected(AeadSuite suite) {
        byte[] good = sealedFrame(suite);
        try (FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
            for (int size : new int[] {16, 79, 81, 96, 336}) {
                byte[] received = Arrays.copyOf(good, 12 + size);
                ByteBuffer h = ByteBuffer.wrap(received).order(ByteOrder.LITTLE_ENDIAN).putInt(0, size);
                assertThrows(AeadFailure.class, () -> rx.open(size, TYPE, SEQ, CH, FLAGS, view(h, 12, size)), "size " + size);
            }
        }
    }

    private static byte[] sealedFrame(AeadSuite suite) {
        ByteBuffer sealed = frame(false, 0, SEQ, CH, PLAIN);
        try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
            tx.seal(sealed, 0, PLAIN.length);
        }
        return bytes(sealed, 0, 12 + 80);
    }

    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void wrongEpochSeqChannelOrKeyIsRejected(AeadSuite suite) {
        ByteBuffer sealed = frame(false, 0, SEQ, CH, PLAIN);
        try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
            tx.seal(sealed, 0, PLAIN.length);
        }
        byte[] otherKey = KEY.clone();
        otherKey[31] ^= 1;
        byte[] otherIv = STATIC_IV.clone();
        otherIv[0] ^= 1;
        assertRejected(FrameCipher.create(suite, KEY, STATIC_IV, EPOCH + 1), sealed, SEQ, CH);
        assertRejected(FrameCipher.create(suite, KEY, STATIC_IV, EPOCH), sealed, SEQ + 1, CH);
        assertRejected(FrameCipher.create(suite, KEY, STATIC_IV, EPOCH), sealed, SEQ, CH + 1);
        assertRejected(FrameCipher.create(suite, otherKey, STATIC_IV, EPOCH), sealed, SEQ, CH);
        assertRejected(FrameCipher.create(suite, KEY, otherIv, EPOCH), sealed, SEQ, CH);
    }

    private static void assertRejected(FrameCipher rx, ByteBuffer sealed, int seq, int ch) {
        try (rx) {
            ByteBuffer copy = ByteBuffer.wrap(bytes(sealed, 0, 92));
            assertThrows(AeadFailure.class, () -> rx.open(80, TYPE, seq, ch, FLAGS, view(copy, 12, 80)));
        }
    }

    /** A failed open, then the genuine frame with the same (channel, seq): SunJCE's ChaCha20 must not refuse the nonce. */
    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void theSameNonceOpensAgainAfterAFailure(AeadSuite suite) throws Exception {
        byte[] good = sealedFrame(suite);
        try (FrameCipher rx = FrameCipher.create(suite, KEY, STATIC_IV, EPOCH)) {
            byte[] bad = good.clone();
            bad[20] ^= 1;
            assertThrows(AeadFailure.class, () -> rx.open(80, TYPE, SEQ, CH, FLAGS, view(ByteBuffer.wrap(bad), 12, 80)));
            ByteBuffer buf = ByteBuffer.wrap(good.clone());
            assertEquals(64, rx.open(80, TYPE, SEQ, CH, FLAGS, view(buf, 12, 80)));
            assertArrayEquals(PLAIN, bytes(buf, 12, 64));
        }
    }

    @Test
    void payloadShorterThanTheTagIsRejected() {
        try (FrameCipher rx = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, STATIC_IV, 0)) {
            AeadFailure f = assertThrows(AeadFailure.class, () -> rx.open(15, TYPE, 0, 1, FLAGS, ByteBuffer.allocate(15)));
            assertTrue(f.getMessage().contains("shorter than the 16-byte tag"), f.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(AeadSuite.class)
    void sealingTheSameChannelAndSeqTwiceInARowIsRefusedNotReused(AeadSuite suite) {
        try (FrameCipher tx = FrameCipher.create(suite, KEY, STATIC_IV, 0)) {
            tx.seal(frame(false, 0, 5, 1, PLAIN), 0, PLAIN.length);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tx.seal(frame(false, 0, 5, 1, PLAIN), 0, PLAIN.length));
            assertTrue(e.getMessage().contains("sealed twice"), e.getMessage());
            tx.seal(frame(false, 0, 6, 1, PLAIN), 0, PLAIN.length); // and the cipher carries on with the next seq
        }
    }

    @Test
    void sealRefusesAHeaderWithoutTheEncryptedFlagOrWithTheWrongSize() {
        try (FrameCipher tx = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, STATIC_IV, 0)) {
            ByteBuffer noFlag = frame(false, 0, 1, 1, PLAIN);
            noFlag.put(11, (byte) 0);
            assertThrows(IllegalArgumentException.class, () -> tx.seal(noFlag, 0, PLAIN.length));
            ByteBuffer wrongSize = frame(false, 0, 1, 1, PLAIN);
            assertThrows(IllegalArgumentException.class, () -> tx.seal(wrongSize, 0, PLAIN.length - 1));
            ByteBuffer noRoom = ByteBuffer.allocate(12 + PLAIN.length);
            assertThrows(IllegalArgumentException.class, () -> tx.seal(noRoom, 0, PLAIN.length));
        }
    }

    @Test
    void closedCipherRefusesWorkAndBadKeysAreRefusedUpFront() {
        FrameCipher c = FrameCipher.create(AeadSuite.AES_256_GCM, KEY, STATIC_IV, 0);
        c.close();
        assertThrows(IllegalStateException.class, () -> c.seal(frame(false, 0, 1, 1, PLAIN), 0, PLAIN.length));
        assertThrows(IllegalArgumentException.class, () -> FrameCipher.create(AeadSuite.AES_256_GCM, new byte[16], STATIC_IV, 0));
        assertThrows(IllegalArgumentException.class, () -> FrameCipher.create(AeadSuite.AES_256_GCM, KEY, new byte[8], 0));
        assertTrue(c.toString().contains("closed"));
    }

    @Test
    void suiteWireIds() {
        assertEquals(AeadSuite.AES_256_GCM, AeadSuite.fromWireId(0x01));
        assertEquals(AeadSuite.CHACHA20_POLY1305, AeadSuite.fromWireId(0x02));
        assertEquals(null, AeadSuite.fromWireId(0x03));
    }

    // A 12-byte header with size = len + 16 and ENCRYPTED, the plaintext, room for the tag, at offset `at`.
    static ByteBuffer frame(boolean direct, int at, int seq, int ch, byte[] plain) {
        int cap = at + 12 + plain.length + 16 + 7; // a little slack after the tag, as a batch buffer has
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap);
        writeFrame(buf, at, seq, ch, plain);
        return buf;
    }

    static void writeFrame(ByteBuffer buf, int at, int seq, int ch, byte[] plain) {
        ByteBuffer w = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        w.putInt(at, plain.length + 16).put(at + 4, (byte) TYPE).putInt(at + 5, seq).putShort(at + 9, (short) ch).put(at + 11, (byte) FLAGS);
        w.position(at + 12);
        w.put(plain);
    }

    static ByteBuffer view(ByteBuffer buf, int from, int len) {
        ByteBuffer v = buf.duplicate();
        v.limit(from + len).position(from);
        return v;
    }

    static byte[] bytes(ByteBuffer buf, int from, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = buf.get(from + i);
        }
        return out;
    }
}
