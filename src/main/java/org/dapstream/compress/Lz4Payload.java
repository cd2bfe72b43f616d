package org.dapstream.compress;

import net.jpountz.lz4.LZ4Factory;

import java.nio.ByteBuffer;

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

    private static final Lz4Codec CODEC = new Lz4Codec(chooseFactory(
            Boolean.getBoolean(JAVA_ONLY_PROPERTY), System.getProperty(NATIVE_IMAGE_PROPERTY) != null));

    private Lz4Payload() {
    }

    /**
     * JNI (measured faster and allocation-free, docs/decisions/0102-lz4-jni-compressor.md) unless told or
     * forced to stay in Java.
     */
    static LZ4Factory chooseFactory(boolean javaOnly, boolean nativeImage) {
        if (javaOnly || nativeImage) {
            return LZ4Factory.fastestJavaInstance();
        }
        // Not fastestInstance(): it tries JNI only when lz4-java was loaded by the system class
        // loader, and the packaged Quarkus application loads it with its own, so it silently
        // used pure Java (a quarter of the speed, measured with bench --payload json).
        try {
            return LZ4Factory.nativeInstance();
        } catch (LinkageError | RuntimeException e) {
            // No library for this platform, or another class loader of this JVM holds it
            // (a test run that restarts the application): pure Java, which is correct, only slower.
            return LZ4Factory.fastestJavaInstance();
        }
    }

    /** Which LZ4 implementation this JVM uses, e.g. {@code "LZ4Factory:JNI"} or {@code "LZ4Factory:JavaSafe"}. */
    public static String implementation() {
        return CODEC.implementation();
    }

    /** Largest output of compress for srcLen input bytes (prefix included). */
    public static int maxCompressedLength(int srcLen) {
        return CODEC.maxCompressedLength(srcLen);
    }

    /**
     * Compresses src[srcOff, srcOff+len) into dst at dstOff (prefix + block), absolute indexes,
     * never moving positions/limits; works for heap and direct buffers. Returns bytes written.
     * dst must have maxCompressedLength(len) bytes from dstOff.
     */
    public static int compress(ByteBuffer src, int srcOff, int len, ByteBuffer dst, int dstOff) {
        return CODEC.compress(src, srcOff, len, dst, dstOff);
    }

    /** The declared original length, checked against maxOutput BEFORE anything is decompressed. */
    public static int declaredLength(ByteBuffer src, int srcOff, int srcLen, int maxOutput) throws CompressionException {
        return Lz4Codec.declaredLength(src, srcOff, srcLen, maxOutput);
    }

    /**
     * Decompresses with the SAFE decompressor into dst at dstOff; the declared length must be
     * &lt;= maxOutput (TOO_LARGE otherwise, before any work) and the block must decode to exactly that many
     * bytes (MALFORMED / LENGTH_MISMATCH). dst needs maxOutput bytes of room from dstOff at most, and
     * never gets more than the declared length written. Returns the original length.
     */
    public static int decompress(ByteBuffer src, int srcOff, int srcLen, ByteBuffer dst, int dstOff, int maxOutput)
            throws CompressionException {
        return CODEC.decompress(src, srcOff, srcLen, dst, dstOff, maxOutput);
    }
}
