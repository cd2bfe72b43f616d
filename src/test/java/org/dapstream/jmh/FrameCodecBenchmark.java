package org.dapstream.jmh;

import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.FrameSink;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Encoding and decoding a 64-byte DATA frame, alone and in a 64 KiB batch of them (what
 * one socket read carries under load). Run: see docs/BENCHMARKS.md, "JMH and CPU cost per operation".
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameCodecBenchmark {
    private static final int PAYLOAD = 64;
    private static final int FRAME = FrameHeader.SIZE + PAYLOAD;
    private static final int BATCH_FRAMES = 64 * 1024 / FRAME;

    private final byte[] payload = new byte[PAYLOAD];
    private ByteBuffer out;
    private ByteBuffer oneFrame;
    private ByteBuffer batch;
    private FrameDecoder decoder;
    private final CountingSink sink = new CountingSink();
    private int seq;

    /** Sums what a handler would look at, so the JIT cannot drop the decode. */
    static final class CountingSink implements FrameSink {
        long bytes;

        @Override
        public void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer data) {
            bytes += data.remaining() + channelId;
        }
    }

    @Setup
    public void setUp() {
        out = ByteBuffer.allocateDirect(FRAME);
        oneFrame = ByteBuffer.allocateDirect(FRAME);
        oneFrame.put(FrameHeader.frame(PacketType.DATA, 0, 1, 0, payload)).flip();
        batch = ByteBuffer.allocateDirect(FRAME * BATCH_FRAMES);
        for (int i = 0; i < BATCH_FRAMES; i++) {
            batch.put(FrameHeader.frame(PacketType.DATA, i, 1, 0, payload));
        }
        batch.flip();
        decoder = new FrameDecoder(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD);
    }

    @Benchmark
    public ByteBuffer encodeData64() {
        FrameHeader.write(out, 0, PAYLOAD, PacketType.DATA, seq++, 1, 0);
        out.put(FrameHeader.SIZE, payload, 0, PAYLOAD);
        return out;
    }

    @Benchmark
    public long decodeData64() throws ProtocolException {
        oneFrame.clear();
        decoder.feed(oneFrame, sink);
        return sink.bytes;
    }

    /** Per call: {@value #BATCH_FRAMES} frames; divide the time by that for a per-frame cost. */
    @Benchmark
    public long decodeBatchOf64ByteFrames() throws ProtocolException {
        batch.clear();
        decoder.feed(batch, sink);
        return sink.bytes;
    }
}
