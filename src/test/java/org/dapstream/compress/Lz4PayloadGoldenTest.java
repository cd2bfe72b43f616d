package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/** Exact bytes of the COMPRESSED payload layout, both ways. */
class Lz4PayloadGoldenTest {
    /** 64 x 'a' as an LZ4 block, as the C library (JNI) and the pure-Java port both emit it. */
    private static final String SIXTY_FOUR_A_BLOCK =
            "1f"        // token: 1 literal, match length 15+4 + continuation
            + "61"      // literal 'a'
            + "0100"    // offset 1 (u16 LE): repeat the previous byte
            + "27"      // match length continuation 39: 15 + 4 + 39 = 58 bytes
            + "50"      // token: 5 literals, no match (the block's last 5 bytes are literals)
            + "6161616161";

    @Test
    void sixtyFourAsCompressToTheGoldenBytes() {
        byte[] input = new byte[64];
        Arrays.fill(input, (byte) 'a');
        ByteBuffer out = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(64));
        int written = Lz4Payload.compress(ByteBuffer.wrap(input), 0, 64, out, 0);

        byte[] expected = hex("40000000" // original_length 64, u32 LE
                + SIXTY_FOUR_A_BLOCK);
        assertEquals(expected.length, written);
        assertArrayEquals(expected, Arrays.copyOf(out.array(), written), () -> HexFormat.of().formatHex(out.array(), 0, written));
    }

    /**
     * The golden block is what both implementations emit. On longer inputs they may differ (the
     * JNI library is a newer C LZ4 than the Java port: 1439 against 1446 bytes on 4 KiB of log
     * text), which the format allows; each decodes the other's blocks.
     */
    @Test
    void jniAndJavaCompressorsAgreeOnTheGoldenAndReadEachOther() {
        byte[] input = new byte[64];
        Arrays.fill(input, (byte) 'a');
        LZ4Factory jni = LZ4Factory.nativeInstance();
        LZ4Factory java = LZ4Factory.safeInstance();
        assertArrayEquals(hex(SIXTY_FOUR_A_BLOCK), jni.fastCompressor().compress(input), "JNI");
        assertArrayEquals(hex(SIXTY_FOUR_A_BLOCK), java.fastCompressor().compress(input), "Java");

        byte[] text = Payloads.logText(4096, 7);
        assertArrayEquals(text, java.safeDecompressor().decompress(jni.fastCompressor().compress(text), text.length));
        assertArrayEquals(text, jni.safeDecompressor().decompress(java.fastCompressor().compress(text), text.length));
    }

    /** A block written by hand from lz4_Block_format.md, not by any compressor. */
    @Test
    void decodesAHandWrittenBlock() throws CompressionException {
        byte[] payload = hex("12000000" // original_length 18
                + "36"          // token: 3 literals, match length 6+4 = 10
                + "616263"      // "abc"
                + "0300"        // offset 3: overlapping copy -> "abcabcabca"
                + "50"          // token: 5 literals, end of block
                + "68656c6c6f"); // "hello"
        ByteBuffer out = ByteBuffer.allocate(18);
        int n = Lz4Payload.decompress(ByteBuffer.wrap(payload), 0, payload.length, out, 0, 65_800);
        assertEquals(18, n);
        assertEquals("abcabcabcabcahello", new String(out.array(), StandardCharsets.US_ASCII));
    }

    @Test
    void emptyInputIsOneZeroToken() throws CompressionException {
        ByteBuffer out = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(0));
        int written = Lz4Payload.compress(ByteBuffer.allocate(0), 0, 0, out, 0);
        assertArrayEquals(hex("00000000" + "00"), Arrays.copyOf(out.array(), written));
        assertEquals(0, Lz4Payload.decompress(out, 0, written, ByteBuffer.allocate(0), 0, 0));
    }

    @Test
    void maxCompressedLengthIsLz4sBoundPlusThePrefix() {
        // LZ4_COMPRESSBOUND(n) = n + n/255 + 16
        assertEquals(4 + 16, Lz4Payload.maxCompressedLength(0));
        assertEquals(4 + 65_536 + 257 + 16, Lz4Payload.maxCompressedLength(65_536));
        assertThrows(IllegalArgumentException.class, () -> Lz4Payload.maxCompressedLength(-1));
        assertThrows(IllegalArgumentException.class, () -> Lz4Payload.maxCompressedLength(Lz4Codec.MAX_INPUT + 1));
    }

    @Test
    void theLengthPrefixIsLittleEndianWhateverTheBufferOrder() {
        byte[] input = Payloads.logText(300, 1);
        for (ByteBuffer out : new ByteBuffer[] {ByteBuffer.allocateDirect(400), ByteBuffer.allocate(400).order(java.nio.ByteOrder.LITTLE_ENDIAN)}) {
            Lz4Payload.compress(ByteBuffer.wrap(input), 0, 300, out, 0);
            assertEquals(0x2c, out.get(0) & 0xFF); // 300 = 0x012c
            assertEquals(0x01, out.get(1) & 0xFF);
            assertEquals(0, out.get(2));
            assertEquals(0, out.get(3));
        }
    }

    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits);
    }
}
