package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dapstream.compress.CompressionException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a peer can send wrong in a COMPRESSED payload, each with the exact reason, on both
 * implementations. Output buffers hold only the declared length (or nothing), so a decoder
 * that wrote past it, or allocated by a bogus length, would fail here instead.
 */
class Lz4PayloadMalformedTest {
    private static final int LIMIT = 65_800;
    /** "abcabcabcabcahello", 18 bytes, hand-written (see Lz4PayloadGoldenTest). */
    private static final String BLOCK_18 = "36 616263 0300 50 68656c6c6f";

    static List<Arguments> rows() {
        Object[][] table = {
            // name, payload hex (u32 LE length || block), reason
            {"empty payload", "", Reason.TRUNCATED},
            {"1 byte of prefix", "12", Reason.TRUNCATED},
            {"2 bytes of prefix", "1200", Reason.TRUNCATED},
            {"3 bytes of prefix", "120000", Reason.TRUNCATED},
            {"prefix and no block", "12000000", Reason.TRUNCATED},
            {"declared 2^31-1", "ffffff7f 00", Reason.TOO_LARGE},
            {"declared limit + 1", "098101 00" /* 65801 */, Reason.TOO_LARGE},
            {"high bit set (2^31)", "00000080 00", Reason.TOO_LARGE},
            {"high bit set (2^32-1)", "ffffffff" + BLOCK_18, Reason.TOO_LARGE},
            {"declared 0, garbage block", "00000000 ffff", Reason.MALFORMED},
            {"declared 0, block of 18 bytes", "00000000" + BLOCK_18, Reason.LENGTH_MISMATCH},
            {"declares 20, block decodes to 18", "14000000" + BLOCK_18, Reason.LENGTH_MISMATCH},
            {"declares 10, block decodes to 18", "0a000000" + BLOCK_18, Reason.LENGTH_MISMATCH},
            {"declares 17, block decodes to 18", "11000000" + BLOCK_18, Reason.LENGTH_MISMATCH},
            {"match offset 0, block longer than declared", "11000000 36 616263 0000 50 68656c6c6f", Reason.LENGTH_MISMATCH},
            {"match offset before the output", "12000000 36 616263 0400 50 68656c6c6f", Reason.MALFORMED},
            {"literals run past the block", "12000000 36 616263 0300 90 68656c6c6f", Reason.MALFORMED},
            {"input ends inside an offset", "12000000 36 616263 03", Reason.MALFORMED},
            {"block ends after a match", "0d000000 36 616263 0300", Reason.MALFORMED},
            {"trailing byte after the last literals", "12000000" + BLOCK_18 + "00", Reason.MALFORMED},
            {"literal length continuation cut", "12000000 f0 ff", Reason.MALFORMED},
            // Its last sequence has no literals and the match ends 1 byte before the end (lz4_Block_format.md's end rules).
            {"end rules broken, declares 288 of 21", "20010000 e3" + "00".repeat(17), Reason.LENGTH_MISMATCH},
            {"end rules broken, declares its 21", "15000000 e3" + "00".repeat(17), Reason.MALFORMED},
        };
        List<Arguments> rows = new ArrayList<>();
        for (Object[] row : table) {
            rows.add(Arguments.of(Codecs.JNI, row[0], row[1], row[2]));
            rows.add(Arguments.of(Codecs.JAVA, row[0], row[1], row[2]));
        }
        return rows;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("rows")
    void refusesWithTheExactReason(String implementation, String name, String payloadHex, Reason reason) {
        byte[] payload = HexFormat.of().parseHex(payloadHex.replace(" ", ""));
        // At an offset of a larger direct buffer, like a slice of a read buffer.
        ByteBuffer src = ByteBuffer.allocateDirect(payload.length + 6);
        src.put(3, payload);
        int room = payload.length >= 4 && reason != Reason.TOO_LARGE ? (int) Math.min(u32le(payload), LIMIT) : 0;
        ByteBuffer dst = ByteBuffer.allocate(room);

        CompressionException e = assertThrows(CompressionException.class,
                () -> Codecs.of(implementation).decompress(src, 3, payload.length, dst, 0, LIMIT));

        assertEquals(reason, e.reason(), e::toString);
    }

    /**
     * lz4_Block_format.md calls a match offset of 0 invalid, but both lz4-java decoders accept it
     * and write zeros for the match (since the fix of CVE-2025-66566; before it, the Java decoder
     * let the output buffer's old bytes through). We keep their behaviour (no pre-scan of every
     * block) and guard it here: a reused output buffer's old bytes never come out.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void offsetZeroDecodesToZerosNeverStaleBytes(String implementation) throws CompressionException {
        byte[] payload = HexFormat.of().parseHex("12000000" + "36616263" + "0000" + "5068656c6c6f");
        for (ByteBuffer dst : new ByteBuffer[] {ByteBuffer.allocate(18), ByteBuffer.allocateDirect(18)}) {
            for (int i = 0; i < 18; i++) {
                dst.put(i, (byte) 0x55); // what an earlier frame left in a scratch buffer
            }
            assertEquals(18, Codecs.of(implementation).decompress(ByteBuffer.wrap(payload), 0, payload.length, dst, 0, LIMIT));
            byte[] out = new byte[18];
            dst.get(0, out);
            assertEquals("616263" + "00000000000000000000" + "68656c6c6f", HexFormat.of().formatHex(out));
        }
    }

    static List<String> implementations() {
        return List.of(Codecs.JNI, Codecs.JAVA);
    }

    private static long u32le(byte[] b) {
        return (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
    }

    @Test
    void tooLargeSaysTheNumbersAndNeedsNoOutputRoom() {
        ByteBuffer src = ByteBuffer.wrap(HexFormat.of().parseHex("ffffff7f00"));
        CompressionException e = assertThrows(CompressionException.class,
                () -> Lz4Payload.decompress(src, 0, 5, ByteBuffer.allocate(0), 0, LIMIT));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("declared length 2147483647 exceeds the limit 65800", e.getMessage());
        assertEquals(Reason.TOO_LARGE, assertThrows(CompressionException.class,
                () -> Lz4Payload.declaredLength(src, 0, 5, LIMIT)).reason());
    }

    @Test
    void aBombIsRefusedByItsDeclaredLength() throws CompressionException {
        int mib = 1 << 20;
        ByteBuffer compressed = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(mib));
        int n = Lz4Payload.compress(ByteBuffer.allocate(mib), 0, mib, compressed, 0);
        assertEquals(true, n < 5000, "1 MiB of zeros compresses to " + n); // a bomb: tiny on the wire

        CompressionException e = assertThrows(CompressionException.class,
                () -> Lz4Payload.decompress(compressed, 0, n, ByteBuffer.allocate(64 * 1024), 0, 64 * 1024));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("declared length 1048576 exceeds the limit 65536", e.getMessage());
        // The same payload is fine for a receiver whose limit allows it.
        assertEquals(mib, Lz4Payload.decompress(compressed, 0, n, ByteBuffer.allocate(mib), 0, mib));
    }

    @Test
    void declaredLengthReadsTheLittleEndianPrefixOnly() throws CompressionException {
        ByteBuffer src = ByteBuffer.wrap(HexFormat.of().parseHex("ff" + "3412000000"));
        assertEquals(0x1234, Lz4Payload.declaredLength(src, 1, 4, LIMIT));
        assertEquals(0, src.position());
    }

    @Test
    void callerMistakesAreNotPeerErrors() {
        ByteBuffer payload = ByteBuffer.wrap(HexFormat.of().parseHex("12000000" + BLOCK_18.replace(" ", "")));
        assertThrows(IndexOutOfBoundsException.class, () -> Lz4Payload.decompress(payload, 0, payload.capacity(), ByteBuffer.allocate(17), 0, LIMIT));
        assertThrows(IndexOutOfBoundsException.class, () -> Lz4Payload.decompress(payload, 1, payload.capacity(), ByteBuffer.allocate(18), 0, LIMIT));
        assertThrows(IllegalArgumentException.class, () -> Lz4Payload.declaredLength(payload, 0, 4, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> Lz4Payload.compress(payload, 0, 10, ByteBuffer.allocate(10), 0));
    }
}
