package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;
import org.dapstream.transport.WriteBatch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The per-frame cost of our code, without sockets or loops, next to the raw baseline's
 * cost for the same message: what {@code bench --transport both} measures end to end, taken
 * apart. Send: one message into the batch. Receive: a read chunk of frames decoded and
 * delivered to the discard service (or counted by the raw reader).
 *
 * <pre>
 * ./mvnw -q -B -o test-compile
 * java -cp target/test-classes:target/classes:$(cat /tmp/cp.txt) org.openjdk.jmh.Main FramePathBenchmark
 * </pre>
 * ({@code /tmp/cp.txt} from {@code ./mvnw -o dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt}.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FramePathBenchmark {
    /** Frames per receive chunk: about what one 64 KiB socket read holds at 256-byte frames. */
    static final int FRAMES_PER_CHUNK = 256;
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    @Param({"64", "1024"})
    public int size;

    private byte[] payload;
    // send
    private BatchOnlyTransport sendTransport;
    private Channel sendChannel;
    private ByteBuf rawBatch;
    // receive
    private Stream receiver;
    private byte[] streamChunk;
    private ByteBuffer streamChunkView;
    private int nextSeq;
    private RawFrameReader rawReader;
    private ByteBuf rawChunk;
    private long rawMessages;
    private final RawFrameReader.Sink rawSink = new RawFrameReader.Sink() {
        @Override
        public void data(ByteBuf buffer, int index, int length) {
            rawMessages++;
        }

        @Override
        public void control(ByteBuf buffer, int index, int length) {
        }
    };

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        payload = new byte[size];
        sendTransport = new BatchOnlyTransport();
        sendChannel = openConnector(sendTransport);
        rawBatch = PooledByteBufAllocator.DEFAULT.directBuffer(2 * WriteBatch.FLUSH_THRESHOLD);

        receiver = openAcceptor(new BatchOnlyTransport());
        streamChunk = new byte[FRAMES_PER_CHUNK * (FrameHeader.SIZE + size)];
        for (int i = 0; i < FRAMES_PER_CHUNK; i++) {
            FrameHeader.write(streamChunk, i * (FrameHeader.SIZE + size), size, PacketType.DATA, 0, 1, 0);
        }
        streamChunkView = ByteBuffer.wrap(streamChunk);
        rawReader = new RawFrameReader();
        rawChunk = PooledByteBufAllocator.DEFAULT.directBuffer(FRAMES_PER_CHUNK * (RawFormat.HEADER_SIZE + size));
        for (int i = 0; i < FRAMES_PER_CHUNK; i++) {
            rawChunk.writeIntLE(size).writeBytes(payload);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rawBatch.release();
        rawChunk.release();
    }

    /** DAP Stream: one DATA message through {@code Channel.write} into the batch. */
    @Benchmark
    public boolean streamSend() {
        if (sendChannel.sendCredit() < GRANT) {
            grant(); // as a reading peer would: every half window, the cost amortised over the messages
        }
        return sendChannel.write(PacketType.DATA, payload);
    }

    /** What a peer that reads grants at a time: half the initial channel window. */
    static final int GRANT = org.dapstream.protocol.FlowWindow.INITIAL_CHANNEL_WINDOW / 2;
    /** The peer's next seq on ch 0 of the sending stream (WELCOME was 0, OPEN_ACK 1). */
    private int grantSeq = 2;

    /** WINDOW_UPDATE for channel 1 and for the stream, from the (simulated) peer of the sending stream. */
    void grant() {
        Stream s = sendChannel.stream();
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, grantSeq++, 0, 0,
                ControlCodec.encode(new ControlMessage.WindowUpdate(1, GRANT)))));
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, grantSeq++, 0, 0,
                ControlCodec.encode(new ControlMessage.WindowUpdate(0, GRANT)))));
    }

    /** Raw baseline: one length-prefixed message into a pooled direct batch, as {@link RawBatch} writes it. */
    @Benchmark
    public boolean rawSend() {
        ByteBuf b = rawBatch;
        if (b.writerIndex() >= WriteBatch.FLUSH_THRESHOLD) {
            b.clear();
        }
        b.writeIntLE(payload.length);
        b.writeBytes(payload, 0, payload.length);
        return b.writerIndex() < WriteBatch.FLUSH_THRESHOLD;
    }

    /** DAP Stream: a chunk of DATA frames decoded, sequence-checked and counted by the discard service (per frame). */
    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_CHUNK)
    public void streamReceive() {
        byte[] chunk = streamChunk;
        int stride = FrameHeader.SIZE + size;
        for (int i = 0, at = FrameHeader.OFFSET_SEQ; i < FRAMES_PER_CHUNK; i++, at += stride) {
            INT_LE.set(chunk, at, nextSeq++); // the receiver checks seq_id: give each frame the next one
        }
        streamChunkView.clear();
        receiver.onBytes(streamChunkView);
    }

    /** Raw baseline: the same chunk as length-prefixed messages, split and counted (per message). */
    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_CHUNK)
    public long rawReceive() {
        ByteBuf chunk = rawChunk;
        int stride = RawFormat.HEADER_SIZE + size;
        for (int i = 0, at = 0; i < FRAMES_PER_CHUNK; i++, at += stride) {
            chunk.setIntLE(at, size); // the same per-frame store the stream side pays for its seq_id
        }
        chunk.readerIndex(0);
        rawReader.feed(chunk, rawSink);
        return rawMessages;
    }

    /** The receiving stream, for checks. */
    Stream receiver() {
        return receiver;
    }

    Channel sendChannel() {
        return sendChannel;
    }

    BatchOnlyTransport sendTransport() {
        return sendTransport;
    }

    long rawMessages() {
        return rawMessages;
    }

    /** A connector with channel 1 (DISCARD) open: HELLO out, WELCOME in, OPEN_CHANNEL out, OPEN_ACK in. */
    private static Channel openConnector(BatchOnlyTransport t) throws Exception {
        Stream s = new Stream(StreamRole.CONNECTOR, t, new LocalNode(StreamConfig.defaults(), StreamClock.SYSTEM, null, null,
                NodeAddress.NONE, new StreamCounters()), StreamListener.NONE);
        s.start();
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, 0, 0, 0, ControlCodec.encode(
                new ControlMessage.Welcome(ControlMessage.PROTOCOL_VERSION, 0, NodeAddress.NONE, 1, 3000)))));
        // Without compression: the benchmark measures the frame path, the compressor has its own (Lz4PayloadBenchmark).
        var opening = s.openChannel(ChannelType.DISCARD, new ChannelHandler() { }, false);
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, 1, 0, 0, ControlCodec.encode(new ControlMessage.OpenAck(1)))));
        t.runTasks();
        return opening.get(1, TimeUnit.SECONDS);
    }

    /** An acceptor serving the diagnostics, with the peer's channel 1 (DISCARD) open. */
    private static Stream openAcceptor(BatchOnlyTransport t) {
        Stream s = new Stream(StreamRole.ACCEPTOR, t, new LocalNode(StreamConfig.defaults(), StreamClock.SYSTEM,
                ChannelRegistry.withDiagnostics(), new Sessions(), NodeAddress.NONE, new StreamCounters()), StreamListener.NONE);
        s.start();
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, 0, 0, 0, ControlCodec.encode(
                new ControlMessage.Hello(ControlMessage.PROTOCOL_VERSION, 0, NodeAddress.NONE)))));
        s.onBytes(ByteBuffer.wrap(FrameHeader.frame(PacketType.CONTROL, 1, 0, 0, ControlCodec.encode(
                new ControlMessage.OpenChannel(1, ChannelType.DISCARD, 0)))));
        return s;
    }
}
