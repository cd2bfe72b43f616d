package org.dapstream.jmh;

import org.dapstream.compress.AdaptiveCompression;
import org.dapstream.compress.CompressionException;
import org.dapstream.compress.CompressionPolicy;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.compress.Payloads;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The COMPRESSED payload codec on the buffers the engine uses: compress from a heap scratch
 * buffer into a direct transport batch, decompress from a direct (or heap) read buffer into a
 * heap scratch buffer; and the adaptive wrapper. MB/s = size / time. The implementation is the
 * one {@link Lz4Payload} picks (JNI); add {@code -jvmArgsAppend -Ddap.lz4.java-only=true} for
 * the pure-Java one. Run: see docs/BENCHMARKS.md, "JMH and CPU cost per operation"; with {@code -prof gc} for B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class Lz4PayloadBenchmark {
    @Param({"text", "random"})
    public String data;
    @Param({"1024", "65536"})
    public int size;

    private ByteBuffer heapSrc;
    private ByteBuffer directDst;
    private ByteBuffer compressedDirect;
    private ByteBuffer compressedHeap;
    private int compressedLength;
    private ByteBuffer heapOut;
    private AdaptiveCompression adaptive;

    @Setup
    public void setUp() throws CompressionException {
        byte[] bytes = data.equals("text") ? Payloads.logText(size, 1) : Payloads.random(size, 1);
        heapSrc = ByteBuffer.wrap(bytes);
        directDst = ByteBuffer.allocateDirect(Lz4Payload.maxCompressedLength(size));
        compressedLength = Lz4Payload.compress(heapSrc, 0, size, directDst, 0);
        compressedDirect = ByteBuffer.allocateDirect(compressedLength);
        compressedHeap = ByteBuffer.allocate(compressedLength);
        for (int i = 0; i < compressedLength; i++) {
            compressedDirect.put(i, directDst.get(i));
            compressedHeap.put(i, directDst.get(i));
        }
        heapOut = ByteBuffer.allocate(size);
        if (Lz4Payload.decompress(compressedDirect, 0, compressedLength, heapOut, 0, size) != size) {
            throw new IllegalStateException("round trip failed");
        }
        adaptive = new AdaptiveCompression(CompressionPolicy.defaults(), System::nanoTime);
        System.out.println("LZ4 implementation: " + Lz4Payload.implementation() + ", " + data + " " + size
                + " -> " + compressedLength + " bytes");
    }

    @Benchmark
    public int compressHeapToDirect() {
        return Lz4Payload.compress(heapSrc, 0, size, directDst, 0);
    }

    /** With the default policy: text is compressed every time, random data mostly skipped untried. */
    @Benchmark
    public int adaptiveHeapToDirect() {
        return adaptive.compress(heapSrc, 0, size, directDst, 0);
    }

    @Benchmark
    public int decompressDirectToHeap() throws CompressionException {
        return Lz4Payload.decompress(compressedDirect, 0, compressedLength, heapOut, 0, size);
    }

    @Benchmark
    public int decompressHeapToHeap() throws CompressionException {
        return Lz4Payload.decompress(compressedHeap, 0, compressedLength, heapOut, 0, size);
    }
}
