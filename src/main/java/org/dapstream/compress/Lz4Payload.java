package org.dapstream.compress;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The COMPRESSED frame payload codec; stateless, thread-safe.
 *
 * <pre>
 * COMPRESSED payload (PROTOCOL.md cites this layout):
 *   original_length  u32 LE   length of the payload before compression
 *   block            ...      raw LZ4 block (block format, no frame header), decodes to exactly original_length bytes
 * </pre>
 *
 * Buffers are addressed by absolute index, like {@link ByteBuffer#get(int)}: a range must lie
 * below the buffer's limit (an {@link IndexOutOfBoundsException} says so otherwise, a caller's
 * bug); positions are ignored, and neither position nor limit is moved, so heap, direct and
 * sliced buffers all work.
 * Decompression uses lz4-java's SAFE decompressor only (bounds-checked against hostile input),
 * and refuses an oversized declared length before decoding anything.
 *
 * <p>The implementation (JNI binding of the C library, or pure Java) is picked once, see
 * {@link #implementation()} and {@link #JAVA_ONLY_PROPERTY}.
 */
public final class Lz4Payload {
    /** Bytes of the {@code original_length} prefix. */
    public static final int LENGTH_PREFIX = 4;
    /**
     * System property: {@code true} forces the pure-Java LZ4 implementation (no JNI library is
     * extracted or loaded). It is also chosen automatically in a GraalVM native image, where the
     * JNI library is not registered, and whenever the JNI library fails to load.
     */
    public static final String JAVA_ONLY_PROPERTY = "dap.lz4.java-only";
    /** Set by GraalVM in a native image (at build time and at run time). */
    static final String NATIVE_IMAGE_PROPERTY = "org.graalvm.nativeimage.imagecode";
    /** LZ4's own bound on one block's input (LZ4_MAX_INPUT_SIZE). */
    static final int MAX_INPUT = 0x7E00_0000;

    private static final LZ4Factory FACTORY = chooseFactory(
            Boolean.getBoolean(JAVA_ONLY_PROPERTY), System.getProperty(NATIVE_IMAGE_PROPERTY) != null);
    private static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

    private Lz4Payload() {
    }

    /** JNI (measured faster and allocation-free, DECISIONS.md) unless told or forced to stay in Java. */
    static LZ4Factory chooseFactory(boolean javaOnly, boolean nativeImage) {
        if (javaOnly || nativeImage) {
            return LZ4Factory.fastestJavaInstance();
        }
        return LZ4Factory.fastestInstance(); // falls back to Java itself if the JNI library does not load
    }

    /** Which LZ4 implementation this JVM uses, e.g. {@code "LZ4Factory:JNI"} or {@code "LZ4Factory:JavaSafe"}. */
    public static String implementation() {
        return FACTORY.toString();
    }

    /** Largest output of compress for srcLen input bytes (prefix included). */
    public static int maxCompressedLength(int srcLen) {
        if (srcLen < 0 || srcLen > MAX_INPUT) {
            throw new IllegalArgumentException("input length " + srcLen + " outside 0.." + MAX_INPUT);
        }
        return LENGTH_PREFIX + COMPRESSOR.maxCompressedLength(srcLen);
    }

    /**
     * Compresses src[srcOff, srcOff+len) into dst at dstOff (prefix + block), absolute indexes,
     * never moving positions/limits; works for heap and direct buffers. Returns bytes written.
     * dst must have maxCompressedLength(len) bytes from dstOff.
     */
    public static int compress(ByteBuffer src, int srcOff, int len, ByteBuffer dst, int dstOff) {
        int room = maxCompressedLength(len);
        checkRange(src, srcOff, len, "src");
        checkRange(dst, dstOff, room, "dst");
        int blockLen = COMPRESSOR.compress(src, srcOff, len, dst, dstOff + LENGTH_PREFIX, room - LENGTH_PREFIX);
        dst.putInt(dstOff, dst.order() == ByteOrder.LITTLE_ENDIAN ? len : Integer.reverseBytes(len));
        return LENGTH_PREFIX + blockLen;
    }

    /** The declared original length, checked against maxOutput BEFORE anything is decompressed. */
    public static int declaredLength(ByteBuffer src, int srcOff, int srcLen, int maxOutput) throws CompressionException {
        checkRange(src, srcOff, srcLen, "src");
        if (maxOutput < 0) {
            throw new IllegalArgumentException("maxOutput " + maxOutput + " is negative");
        }
        if (srcLen < LENGTH_PREFIX) {
            throw new CompressionException(CompressionException.Reason.TRUNCATED,
                    "compressed payload of " + srcLen + " bytes is shorter than its " + LENGTH_PREFIX + "-byte length prefix");
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

    /**
     * Decompresses with the SAFE decompressor into dst at dstOff; the declared length must be
     * &lt;= maxOutput (TOO_LARGE otherwise, before any work) and the block must decode to exactly that many
     * bytes (MALFORMED / LENGTH_MISMATCH). dst needs maxOutput bytes of room from dstOff at most, and
     * never gets more than the declared length written. Returns the original length.
     */
    public static int decompress(ByteBuffer src, int srcOff, int srcLen, ByteBuffer dst, int dstOff, int maxOutput)
            throws CompressionException {
        int declared = declaredLength(src, srcOff, srcLen, maxOutput);
        int blockOff = srcOff + LENGTH_PREFIX;
        int blockLen = srcLen - LENGTH_PREFIX;
        if (blockLen == 0) {
            throw new CompressionException(CompressionException.Reason.TRUNCATED,
                    "compressed payload has a length prefix (" + declared + ") but no LZ4 block");
        }
        checkRange(dst, dstOff, declared, "dst");
        int decoded;
        try {
            // The output bound is the declared length, so not one byte more is ever written.
            decoded = DECOMPRESSOR.decompress(src, blockOff, blockLen, dst, dstOff, declared);
        } catch (LZ4Exception e) {
            throw refused(src, blockOff, blockLen, declared);
        }
        if (decoded != declared) {
            throw new CompressionException(CompressionException.Reason.LENGTH_MISMATCH,
                    "LZ4 block decodes to " + decoded + " bytes, declared " + declared);
        }
        return decoded;
    }

    /** The decompressor refused the block: longer than declared, or broken? (error path only) */
    private static CompressionException refused(ByteBuffer src, int blockOff, int blockLen, int declared) {
        long length = Lz4BlockScan.decodedLength(src, blockOff, blockLen);
        if (length > declared) {
            return new CompressionException(CompressionException.Reason.LENGTH_MISMATCH,
                    "LZ4 block decodes to " + length + " bytes, more than the declared " + declared);
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
