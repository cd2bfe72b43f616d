package org.dapstream.jmh;

import org.dapstream.crypto.AeadFailure;
import org.dapstream.crypto.AeadSuite;
import org.dapstream.crypto.FrameCipher;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * {@link FrameCipher} sealing and opening one frame in place, 64 B and 64 KiB, in heap and
 * direct buffers. {@code open} needs ciphertext each time, so it copies a sealed frame in
 * first; {@code copyOnly} is that copy alone, to subtract. Run with {@code -prof gc} for
 * bytes allocated per frame ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameCipherBenchmark {
    private static final int HEADER = 12;
    private static final int ENCRYPTED = 0x02;

    @Param({"AES_256_GCM"})
    public AeadSuite suite;

    @Param({"64", "65536"})
    public int size;

    @Param({"heap", "direct"})
    public String memory;

    private FrameCipher sealer;
    private FrameCipher opener;
    private ByteBuffer buf;
    private ByteBuffer payload;
    private ByteBuffer sealedCopy;
    private int seq;

    @Setup
    public void setUp() {
        byte[] key = new byte[32];
        byte[] iv = new byte[12];
        key[0] = 1;
        sealer = FrameCipher.create(suite, key, iv, 0);
        opener = FrameCipher.create(suite, key, iv, 0);
        buf = allocate(HEADER + size + FrameCipher.TAG_SIZE);
        writeHeader(buf, 0);
        sealer.seal(buf, 0, size);
        sealedCopy = allocate(buf.capacity());
        sealedCopy.put(buf.duplicate().clear()).clear();
        payload = buf.duplicate();
        payload.limit(HEADER + size + FrameCipher.TAG_SIZE).position(HEADER);
        seq = 1;
    }

    @TearDown
    public void tearDown() {
        sealer.close();
        opener.close();
    }

    private ByteBuffer allocate(int n) {
        return memory.equals("direct") ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
    }

    private void writeHeader(ByteBuffer b, int s) {
        ByteBuffer w = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        w.putInt(0, size + FrameCipher.TAG_SIZE).put(4, (byte) 1).putInt(5, s).putShort(9, (short) 1).put(11, (byte) ENCRYPTED);
    }

    /** Seals whatever is in the frame (the last iteration's ciphertext) under the next seq: one fresh nonce per call. */
    @Benchmark
    public ByteBuffer seal() {
        buf.putInt(5, Integer.reverseBytes(seq++));
        sealer.seal(buf, 0, size);
        return buf;
    }

    @Benchmark
    public int open() throws AeadFailure {
        buf.clear();
        buf.put(sealedCopy.clear());
        buf.clear();
        return opener.open(size + FrameCipher.TAG_SIZE, 1, 0, 1, ENCRYPTED, payload);
    }

    @Benchmark
    public ByteBuffer copyOnly() {
        buf.clear();
        buf.put(sealedCopy.clear());
        return buf.clear();
    }
}
