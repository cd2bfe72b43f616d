package org.dapstream.compress;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The COMPRESSED payload codec over one lz4-java implementation (JNI or pure Java); behind
 * {@link Lz4Payload}, which holds the one chosen for this JVM. An instance so the tests run
 * every check against both implementations. Stateless, thread-safe.
 */
final class Lz4Codec {
    /** LZ4's own bound on one block's input (LZ4_MAX_INPUT_SIZE). */
    static final int MAX_INPUT = 0x7E00_0000;

    private final String implementation;
    private final LZ4Compressor compressor;
    private final LZ4SafeDecompressor decompressor;

    Lz4Codec(LZ4Factory factory) {
        this.implementation = factory.toString();
        this.compressor = factory.fastCompressor();
        this.decompressor = factory.safeDecompressor(); // never fastDecompressor(): it trusts its input
    }

    String implementation() {
        return implementation;
    }

    int maxCompressedLength(int srcLen) {
        if (srcLen < 0 || srcLen > MAX_INPUT) {
            throw new IllegalArgumentException("input length " + srcLen + " outside 0.." + MAX_INPUT);
        }
        return Lz4Payload.LENGTH_PREFIX + compressor.maxCompressedLength(srcLen);
    }

    int compress(ByteBuffer src, int srcOff, int len, ByteBuffer dst, int dstOff) {
        int room = maxCompressedLength(len);
        checkRange(src, srcOff, len, "src");
        checkRange(dst, dstOff, room, "dst");
        int blockLen = compressor.compress(src, srcOff, len, dst, dstOff + Lz4Payload.LENGTH_PREFIX, room - Lz4Payload.LENGTH_PREFIX);
        dst.putInt(dstOff, dst.order() == ByteOrder.LITTLE_ENDIAN ? len : Integer.reverseBytes(len));
        return Lz4Payload.LENGTH_PREFIX + blockLen;
    }

    static int declaredLength(ByteBuffer src, int srcOff, int srcLen, int maxOutput) throws CompressionException {
        checkRange(src, srcOff, srcLen, "src");
        if (maxOutput < 0) {
            throw new IllegalArgumentException("maxOutput " + maxOutput + " is negative");
        }
        if (srcLen < Lz4Payload.LENGTH_PREFIX) {
            throw new CompressionException(CompressionException.Reason.TRUNCATED,
                    "compressed payload of " + srcLen + " bytes is shorter than its " + Lz4Payload.LENGTH_PREFIX + "-byte length prefix");
        }
        // Byte by byte: independent of the buffer's order, and a u32 (the high bit is a length, not a sign).
        long declared = (src.get(srcOff) & 0xFFL)
                | (src.get(srcOff + 1) & 0xFFL) << 8
                | (src.get(srcOff + 2) & 0xFFL) << 16
                | (src.get(srcOff + 3) & 0xFFL) << 24;
        if (declared > maxOutput) {
            throw new CompressionException(CompressionException.Reason.TOO_LARGE,
                    "declared length " + declared + " exceeds the limit " + maxOutput);
        }
        return (int) declared;
    }

    int decompress(ByteBuffer src, int srcOff, int srcLen, ByteBuffer dst, int dstOff, int maxOutput) throws CompressionException {
        int declared = declaredLength(src, srcOff, srcLen, maxOutput);
        int blockOff = srcOff + Lz4Payload.LENGTH_PREFIX;
        int blockLen = srcLen - Lz4Payload.LENGTH_PREFIX;
        if (blockLen == 0) {
            throw new CompressionException(CompressionException.Reason.TRUNCATED,
                    "compressed payload has a length prefix (" + declared + ") but no LZ4 block");
        }
        checkRange(dst, dstOff, declared, "dst");
        int decoded;
        try {
            // The output bound is the declared length, so not one byte more is ever written.
            decoded = decompressor.decompress(src, blockOff, blockLen, dst, dstOff, declared);
        } catch (LZ4Exception e) {
            throw refused(src, blockOff, blockLen, declared);
        }
        if (decoded != declared) {
            throw new CompressionException(CompressionException.Reason.LENGTH_MISMATCH,
                    "LZ4 block decodes to " + decoded + " bytes, declared " + declared);
        }
        return decoded;
    }

    /**
     * The decompressor refused the block (error path only). A block whose sequences are
     * well-formed but add up to another length than declared is LENGTH_MISMATCH, whatever the
     * decoder tripped on first (JNI and Java stop at different points); anything else MALFORMED.
     */
    private static CompressionException refused(ByteBuffer src, int blockOff, int blockLen, int declared) {
        long length = Lz4BlockScan.decodedLength(src, blockOff, blockLen);
        if (length != Lz4BlockScan.MALFORMED && length != declared) {
            return new CompressionException(CompressionException.Reason.LENGTH_MISMATCH,
                    "LZ4 block decodes to " + length + " bytes, declared " + declared);
        }
        return new CompressionException(CompressionException.Reason.MALFORMED,
                "LZ4 block of " + blockLen + " bytes is invalid (declared length " + declared + ")");
    }

    private static void checkRange(ByteBuffer buffer, int off, int len, String name) {
        if (off < 0 || len < 0 || off > buffer.limit() - len) {
            throw new IndexOutOfBoundsException(name + " range [" + off + ", +" + len + ") outside the limit " + buffer.limit());
        }
    }
}
