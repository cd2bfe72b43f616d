package org.dapstream.jmh;

import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
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
 * The cluster hot path for one 64-byte message: a FORWARD written and read on a link, a
 * MESSAGE written and read on a client's CLUSTER channel. Run:
 * {@code ./mvnw -B -Pjmh test-compile exec:exec -Djmh.args="ClusterCodec -prof gc"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ClusterCodecBenchmark {
    private static final int PAYLOAD = 64;
    private static final long ORIGIN = NodeAddress.parse("0123::4567::89AB::CDEF").value();

    private final byte[] payload = new byte[PAYLOAD];
    private final byte[] name = ClusterCodec.nameBytes("prices");
    private byte[] forwardOut;
    private byte[] messageOut;
    private ByteBuffer forward;
    private ByteBuffer message;
    private long seq;

    @Setup
    public void setUp() {
        forwardOut = new byte[LinkCodec.FORWARD_FIXED_SIZE + name.length + PAYLOAD];
        messageOut = new byte[ClusterCodec.MESSAGE_HEADER_SIZE + PAYLOAD];
        forward = ByteBuffer.wrap(LinkCodec.encodeForward(name, ORIGIN, 7, 1, payload, 0, PAYLOAD));
        message = ByteBuffer.wrap(ClusterCodec.encodeMessage(3, false, ORIGIN, 7, 1, payload, 0, PAYLOAD));
    }

    @Benchmark
    public int writeForward() {
        return LinkCodec.writeForward(forwardOut, 0, name, ORIGIN, 7, ++seq, payload, 0, PAYLOAD) + forwardOut[40];
    }

    @Benchmark
    public int readForward() throws ProtocolException {
        LinkMessage.Forward f = (LinkMessage.Forward) LinkCodec.decode(forward);
        return f.payload().remaining() + (int) f.seq() + f.name().length();
    }

    /** A FORWARD's payload re-framed as a member's MESSAGE: what a node does per local member. */
    @Benchmark
    public int relayForwardAsMessage() throws ProtocolException {
        LinkMessage.Forward f = (LinkMessage.Forward) LinkCodec.decode(forward);
        return ClusterCodec.writeMessage(messageOut, 0, 3, false, f.origin().value(), f.publisher(), f.seq(), f.payload());
    }

    @Benchmark
    public int writeMessage() {
        return ClusterCodec.writeMessage(messageOut, 0, 3, false, ORIGIN, 7, ++seq, payload, 0, PAYLOAD) + messageOut[30];
    }

    @Benchmark
    public int readMessage() throws ProtocolException {
        ClusterMessage.Message m = (ClusterMessage.Message) ClusterCodec.decode(message);
        return m.payload().remaining() + (int) m.seq();
    }
}
