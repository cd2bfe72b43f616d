package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The other end of a {@link Stream} under test, written by hand: it builds frames with the
 * wire codec, numbers them per channel like a correct peer (or not, with {@link #raw}), feeds
 * them to {@link Stream#onBytes}, and decodes what the stream committed to its
 * {@link FakeTransport}, so tests assert on frames rather than bytes.
 */
final class Peer {
    static final NodeAddress NODE = NodeAddress.parse("1234::5678::9ABC::DEF0");

    private final Stream stream;
    private final FakeTransport transport;
    private final FrameDecoder decoder = new FrameDecoder(FrameLimits.HARD_CAP_FRAME_PAYLOAD);
    private final Map<Integer, Integer> seqOut = new HashMap<>();
    private final List<Frame> inbox = new ArrayList<>();
    private final List<Frame> history = new ArrayList<>();
    /** Largest slice handed to one {@link Stream#onBytes} call; lower it to split frames anywhere. */
    int chunk = Integer.MAX_VALUE;
    private long framesFed;
    private long bytesFed;

    Peer(Stream stream, FakeTransport transport) {
        this.stream = stream;
        this.transport = transport;
    }

    // ---------------------------------------------------------------- sending to the stream

    /** Feeds raw bytes, {@link #chunk} at a time, each slice at a non-zero buffer position. */
    void feed(byte[] bytes) {
        for (int at = 0; at < bytes.length; at += chunk) {
            int n = Math.min(chunk, bytes.length - at);
            // Wrap the whole array so the slice starts at a non-zero position with bytes around it.
            ByteBuffer slice = ByteBuffer.wrap(bytes, at, n);
            stream.onBytes(slice);
            assertFalse(slice.hasRemaining(), "onBytes must consume the whole buffer it is lent");
        }
        bytesFed += bytes.length;
    }

    /** A frame with exactly these header fields; the peer's own seq counters are not touched. */
    void raw(PacketType type, int seq, int ch, int flags, byte[] payload) {
        feed(FrameHeader.frame(type, seq, ch, flags, payload));
        framesFed++;
    }

    /** A frame on {@code ch} with the next seq of that channel. */
    void send(PacketType type, int ch, int flags, byte[] payload) {
        raw(type, nextSeq(ch), ch, flags, payload);
    }

    void send(PacketType type, int ch, byte[] payload) {
        send(type, ch, 0, payload);
    }

    int nextSeq(int ch) {
        int seq = seqOut.getOrDefault(ch, 0);
        seqOut.put(ch, seq + 1);
        return seq;
    }

    /** The seq the next frame on {@code ch} will carry. */
    int peekSeq(int ch) {
        return seqOut.getOrDefault(ch, 0);
    }

    /** A channel id is being reused: its sequence starts again at 0. */
    void resetSeq(int ch) {
        seqOut.remove(ch);
    }

    void control(ControlMessage m) {
        send(PacketType.CONTROL, 0, ControlCodec.encode(m));
    }

    void hello() {
        hello(ControlMessage.PROTOCOL_VERSION, 0);
    }

    void hello(int version, int features) {
        control(new ControlMessage.Hello(version, features, NODE));
    }

    void welcome(int sessionId, int keepAliveMillis) {
        control(new ControlMessage.Welcome(ControlMessage.PROTOCOL_VERSION, 0, NODE, sessionId, keepAliveMillis));
    }

    void open(int ch, ChannelType type) {
        open(ch, type, 0);
    }

    void open(int ch, ChannelType type, int options) {
        control(new ControlMessage.OpenChannel(ch, type, options));
    }

    /** OPEN_CHANNEL built byte by byte, for ids the codec refuses to encode (0). */
    void openRaw(int ch, int typeCode, int options) {
        send(PacketType.CONTROL, 0, new byte[] {
                (byte) ControlMessage.KIND_OPEN_CHANNEL, (byte) ch, (byte) (ch >>> 8), (byte) typeCode, (byte) options});
    }

    void ack(int ch) {
        control(new ControlMessage.OpenAck(ch));
    }

    void reject(int ch, ErrorCode code, String reason) {
        control(new ControlMessage.OpenReject(ch, code.code(), reason));
    }

    void data(int ch, byte[] payload) {
        send(PacketType.DATA, ch, payload);
    }

    void data(int ch, String text) {
        data(ch, text.getBytes(StandardCharsets.UTF_8));
    }

    void close(int ch, ErrorCode code, String reason) {
        send(PacketType.CLOSE, ch, CloseReason.of(code, reason).encode());
    }

    void error(int ch, ErrorCode code, String reason) {
        send(PacketType.ERROR, ch, CloseReason.of(code, reason).encode());
    }

    void ping(long timestamp) {
        send(PacketType.KEEPALIVE, 0, new KeepAlivePayload(false, timestamp).encode());
    }

    void pong(long timestamp) {
        send(PacketType.KEEPALIVE, 0, new KeepAlivePayload(true, timestamp).encode());
    }

    long framesFed() {
        return framesFed;
    }

    long bytesFed() {
        return bytesFed;
    }

    // ---------------------------------------------------------------- reading what the stream sent

    /** Decodes whatever the stream committed since the last look into the inbox. */
    private void collect() {
        byte[] bytes = transport.takeSent();
        try {
            decoder.feed(ByteBuffer.wrap(bytes), (type, seq, ch, flags, payload) -> {
                byte[] copy = new byte[payload.remaining()];
                payload.duplicate().get(copy);
                Frame f = new Frame(type, seq, ch, flags, copy);
                inbox.add(f);
                history.add(f);
            });
        } catch (ProtocolException e) {
            throw new AssertionError("the stream sent bytes that do not decode: " + e + "\nframes so far: " + history, e);
        }
    }

    /** Every frame received and not yet taken; empties the inbox. */
    List<Frame> frames() {
        collect();
        List<Frame> out = List.copyOf(inbox);
        inbox.clear();
        return out;
    }

    /** Every frame the stream has sent, taken or not. */
    List<Frame> history() {
        collect();
        return List.copyOf(history);
    }

    /** The one frame the stream sent since the last look; fails if there are none or several. */
    Frame only() {
        List<Frame> f = frames();
        assertEquals(1, f.size(), () -> "expected exactly one frame, got " + f);
        return f.get(0);
    }

    /** Exactly one frame, of this type on this channel. */
    Frame only(PacketType type, int ch) {
        Frame f = only();
        assertTrue(f.is(type, ch), () -> "expected " + type + " on ch " + ch + ", got " + f);
        return f;
    }

    /** The next frame (the inbox keeps the rest). */
    Frame next() {
        collect();
        assertFalse(inbox.isEmpty(), "the stream sent nothing");
        return inbox.remove(0);
    }

    void expectNothing() {
        List<Frame> f = frames();
        assertTrue(f.isEmpty(), () -> "expected no frame, got " + f);
    }

    /** Drops frames that match {@code skip} (keepalives, say) and returns the rest. */
    List<Frame> framesExcept(Predicate<Frame> skip) {
        List<Frame> out = new ArrayList<>(frames());
        out.removeIf(skip);
        return out;
    }

    /**
     * The stream's last frame must be an ERROR on ch 0 with {@code code}, and nothing but
     * keepalives may come before it. Returns it.
     */
    Frame expectStreamError(ErrorCode code) {
        List<Frame> f = framesExcept(x -> x.type() == PacketType.KEEPALIVE);
        assertFalse(f.isEmpty(), () -> "expected ERROR " + code + ", the stream sent nothing");
        Frame last = f.get(f.size() - 1);
        assertTrue(last.is(PacketType.ERROR, 0), () -> "expected ERROR on ch 0, got " + f);
        assertEquals(code, last.errorCode(), () -> "ERROR was " + last.reason());
        assertEquals(1, f.size(), () -> "frames besides the ERROR: " + f);
        return last;
    }

    /** Sends HELLO and takes the WELCOME (an acceptor under test). */
    ControlMessage.Welcome handshakeAsConnector() {
        hello();
        Frame f = only(PacketType.CONTROL, 0);
        return (ControlMessage.Welcome) f.control();
    }

    /** Takes the HELLO and answers WELCOME (a connector under test). */
    ControlMessage.Hello handshakeAsAcceptor(int sessionId, int keepAliveMillis) {
        Frame f = only(PacketType.CONTROL, 0);
        ControlMessage.Hello hello = (ControlMessage.Hello) f.control();
        welcome(sessionId, keepAliveMillis);
        return hello;
    }
}
