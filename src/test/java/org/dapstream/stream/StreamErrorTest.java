package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** How a stream ends: our ERROR, the peer's ERROR or CLOSE, our close, a lost connection; and what is left after. */
class StreamErrorTest extends EngineTest {

    @Test
    void afterAnErrorIsSentEverythingEnds() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Session session = h.stream.session();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        CompletableFuture<Channel> pending = h.stream.openChannel(ChannelType.FILE, null);
        h.peer.frames();

        h.peer.data(9, "nobody here");

        Frame error = h.peer.expectStreamError(ErrorCode.UNKNOWN_CHANNEL);
        CloseReason reason = CloseReason.of(ErrorCode.UNKNOWN_CHANNEL, "DATA on channel 9, which was never opened");
        assertEquals(reason, error.reason());
        assertEquals(1, h.transport.closeCalls(), "the connection is closed, once");
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertFalse(h.stream.active());

        assertEquals(reason, done(one.closed()));
        assertEquals(reason, done(three.closed()));
        assertEquals(Channel.State.CLOSED, one.state());
        assertTrue(h.service.events.containsAll(List.of("closed 1 " + reason, "closed 3 " + reason)));
        assertEquals(reason, assertInstanceOf(StreamException.class, failure(pending)).reason());

        assertSame(h.stream, done(h.stream.ready()), "ready stays completed");
        assertEquals(reason, done(h.stream.closed()));
        assertEquals(List.of("active", "closed " + reason), h.lifecycle);
        assertEquals(0, h.sessions.size(), "the session went with its last stream");
        assertFalse(session.active());
        assertEquals(List.of(), session.streams());
        assertEquals(List.of(), h.stream.channels());
        assertEquals(List.of(), h.scheduler.timers());
        assertEquals(1, h.counters.streamsOpened());
        assertEquals(1, h.counters.streamsClosed());
        assertEquals(1, h.counters.errorsSent(ErrorCode.UNKNOWN_CHANNEL));
    }

    @Test
    void inputAfterTheEndIsIgnored() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.data(9, "x");
        h.peer.expectStreamError(ErrorCode.UNKNOWN_CHANNEL);
        StreamStats before = h.stream.stats();
        List<String> events = List.copyOf(h.service.events);

        h.peer.data(1, "valid, in sequence");
        h.peer.ping(5);
        h.peer.open(3, StreamHarness.APP);
        h.peer.close(0, ErrorCode.NORMAL, "");
        h.peer.feed(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 9, 9, 9, 9, 9, 9, 9, 9});
        h.advanceMillis(10_000);
        h.stream.close();
        h.stream.abort(ErrorCode.INTERNAL_ERROR, "again");
        h.stream.onTransportClosed();

        h.peer.expectNothing();
        assertEquals(events, h.service.events);
        assertEquals(before, h.stream.stats());
        assertEquals(1, h.counters.streamsClosed());
        assertEquals(1, h.transport.closeCalls());
        assertEquals(List.of("active", "closed " + done(h.stream.closed())), h.lifecycle, "closed is reported once");
    }

    @Test
    void inputAfterThePeersErrorIsIgnoredToo() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        // The ERROR and a DATA frame in one read chunk: the DATA must not be delivered.
        byte[] error = FrameHeader.frame(PacketType.ERROR, h.peer.nextSeq(0), 0, 0, CloseReason.of(ErrorCode.GOING_AWAY, "").encode());
        byte[] data = FrameHeader.frame(PacketType.DATA, h.peer.nextSeq(1), 1, 0, new byte[] {'x'});
        byte[] both = new byte[error.length + data.length];
        System.arraycopy(error, 0, both, 0, error.length);
        System.arraycopy(data, 0, both, error.length, data.length);
        h.peer.feed(both);
        assertEquals(List.of(), h.service.events("in"));
        h.peer.expectNothing();
    }

    @Test
    void anErrorOnChannelZeroEndsTheStreamAndIsCounted() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.peer.error(0, ErrorCode.RESOURCE_EXHAUSTED, "too busy");
        h.peer.expectNothing(); // an ERROR is not answered
        CloseReason reason = CloseReason.of(ErrorCode.RESOURCE_EXHAUSTED, "too busy");
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(reason, done(h.stream.closed()));
        assertEquals(reason, done(ch.closed()));
        assertEquals(1, h.counters.errorsReceived(ErrorCode.RESOURCE_EXHAUSTED));
        assertEquals(0, h.counters.errorsSent(ErrorCode.RESOURCE_EXHAUSTED));
        assertTrue(h.transport.closed());
        assertEquals(0, h.sessions.size());
    }

    @Test
    void anErrorWithACodeFromANewerPeerIsCountedAsUnknown() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.send(PacketType.ERROR, 0, new CloseReason(0x4242, "new").encode());
        assertEquals(1, h.counters.unknownErrorsReceived());
        assertEquals(0x4242, done(h.stream.closed()).code());
        assertEquals(StreamState.CLOSED, h.stream.state());
    }

    @Test
    void closeOnChannelZeroIsAnsweredWithClose() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.peer.close(0, ErrorCode.GOING_AWAY, "maintenance");
        Frame answer = h.peer.only(PacketType.CLOSE, 0);
        assertEquals(ErrorCode.NORMAL, answer.errorCode());
        CloseReason reason = CloseReason.of(ErrorCode.GOING_AWAY, "maintenance");
        assertEquals(reason, done(h.stream.closed()));
        assertEquals(reason, done(ch.closed()));
        assertTrue(h.transport.closed());
        assertEquals(0, h.counters.errorsReceived(ErrorCode.GOING_AWAY), "a CLOSE is not an error");
    }

    @Test
    void aLocalCloseEndsWhenThePeerAnswers() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.stream.close();
        Frame close = h.peer.only(PacketType.CLOSE, 0);
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), close.reason());
        assertFalse(h.transport.closed(), "waits for the peer's CLOSE");
        assertFalse(h.stream.closed().isDone());
        h.stream.close(); // again: nothing more
        h.peer.expectNothing();

        h.peer.data(1, "in flight");
        h.peer.ping(3);
        h.peer.expectNothing(); // no pong while closing
        assertEquals(List.of("in 1 DATA in flight"), h.service.events("in"), "data in flight is still delivered");

        h.peer.close(0, ErrorCode.NORMAL, "");
        h.peer.expectNothing();
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(h.stream.closed()));
        assertTrue(h.transport.closed());
    }

    @Test
    void aLocalCloseThePeerNeverAnswersEndsByTheKeepAliveTimeout() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.stream.close();
        h.peer.only(PacketType.CLOSE, 0);
        h.advanceMillis(3500);
        assertTrue(h.peer.frames().stream().noneMatch(f -> f.type() == PacketType.KEEPALIVE), "no pings while closing");
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, done(h.stream.closed()).errorCode());
    }

    @Test
    void closeDuringSetupEndsAtOnce() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        h.stream.close();
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), h.peer.only(PacketType.CLOSE, 0).reason());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertTrue(h.stream.ready().isCompletedExceptionally());
        assertTrue(h.transport.closed());
    }

    @Test
    void abortSendsTheGivenError() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.stream.abort(ErrorCode.GOING_AWAY, "node shutting down");
        assertEquals(CloseReason.of(ErrorCode.GOING_AWAY, "node shutting down"),
                h.peer.expectStreamError(ErrorCode.GOING_AWAY).reason());
        assertEquals(1, h.counters.errorsSent(ErrorCode.GOING_AWAY));
        assertTrue(h.transport.closed());
    }

    @Test
    void aLostConnectionEndsTheStreamWithoutAFrame() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.stream.onTransportClosed();
        h.peer.expectNothing();
        assertEquals(ErrorCode.CONNECTION_LOST, done(h.stream.closed()).errorCode());
        assertEquals(ErrorCode.CONNECTION_LOST, done(ch.closed()).errorCode());
        assertEquals(0, h.counters.errorsSent(ErrorCode.CONNECTION_LOST), "local only, never sent");
        assertEquals(0, h.sessions.size());
    }

    @Test
    void deletingTheSessionClosesItsStreams() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.sessions.delete(h.stream.session());
        assertEquals(ErrorCode.NORMAL, h.peer.only(PacketType.CLOSE, 0).errorCode());
        assertEquals(0, h.sessions.size());
        h.peer.close(0, ErrorCode.NORMAL, "");
        assertEquals(StreamState.CLOSED, h.stream.state());
    }

    /** Malformed frames on an active stream, each with the exact error it must cause. */
    static Stream<Arguments> malformed() {
        return Stream.of(
                row("CLOSE payload of 1 byte", p -> p.send(PacketType.CLOSE, 0, new byte[] {0}),
                        ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR payload is 1 bytes, needs at least 2 for the code"),
                row("ERROR reason not UTF-8", p -> p.send(PacketType.ERROR, 0, new byte[] {1, 0, (byte) 0xC3}),
                        ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR reason is not valid UTF-8"),
                row("channel CLOSE reason of 513 bytes", p -> {
                            byte[] b = new byte[2 + 513];
                            java.util.Arrays.fill(b, 2, b.length, (byte) 'r');
                            p.send(PacketType.CLOSE, 1, b);
                        },
                        ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR reason is 513 bytes, limit 512"),
                row("KEEPALIVE of 8 bytes", p -> p.send(PacketType.KEEPALIVE, 0, new byte[8]),
                        ErrorCode.MALFORMED_FRAME, "KEEPALIVE payload is 8 bytes, must be 9"),
                row("KEEPALIVE kind 2", p -> p.send(PacketType.KEEPALIVE, 0, new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0}),
                        ErrorCode.MALFORMED_FRAME, "KEEPALIVE kind 0x02 is neither ping (0x00) nor pong (0x01)"),
                row("empty CONTROL on ch 0", p -> p.send(PacketType.CONTROL, 0, new byte[0]),
                        ErrorCode.MALFORMED_CONTROL, "empty CONTROL payload on ch 0"),
                row("unknown CONTROL kind", p -> p.send(PacketType.CONTROL, 0, new byte[] {0x0E}),
                        ErrorCode.MALFORMED_CONTROL, "unknown CONTROL message kind 0x0e"),
                row("handshake message after setup", p -> p.send(PacketType.CONTROL, 0, new byte[] {9}),
                        ErrorCode.MALFORMED_HANDSHAKE, "handshake message after the handshake completed"),
                row("KEY_UPDATE on a plaintext stream", p -> p.send(PacketType.CONTROL, 0, new byte[] {0x0A, 0, 0, 1, 0, 0, 0}),
                        ErrorCode.MALFORMED_CONTROL, "KEY_UPDATE on a stream that is not encrypted"),
                row("OPEN_CHANNEL of 4 bytes", p -> p.send(PacketType.CONTROL, 0, new byte[] {3, 1, 0, 0x42}),
                        ErrorCode.MALFORMED_CONTROL, "OPEN_CHANNEL is 4 bytes, must be exactly 5"),
                row("frame over the size limit", p -> p.feed(new byte[] {1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}),
                        ErrorCode.FRAME_TOO_LARGE, "frame size 65793 exceeds the limit of 65792 bytes"),
                row("unknown packet type", p -> p.feed(new byte[] {0, 0, 0, 0, 6, 0, 0, 0, 0, 1, 0, 0}),
                        ErrorCode.UNKNOWN_PACKET_TYPE, "unknown packet type 0x06"),
                row("HELLO on an active stream", p -> p.control(new ControlMessage.Hello(1, 0, Peer.NODE)),
                        ErrorCode.MALFORMED_CONTROL, "HELLO is only the connecting side's first frame"));
    }

    private static Arguments row(String name, Consumer<Peer> send, ErrorCode code, String message) {
        return Arguments.of(name, send, code, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedInputEndsTheStreamWithTheExactError(String name, Consumer<Peer> send, ErrorCode code, String message) {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        send.accept(h.peer);
        assertEquals(CloseReason.of(code, message), h.peer.expectStreamError(code).reason());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(code, done(ch.closed()).errorCode());
        assertEquals(1, h.counters.errorsSent(code));
        assertTrue(h.transport.closed());
    }

    @Test
    void aVeryLongErrorMessageIsCutToTheReasonLimit() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.stream.abort(ErrorCode.INTERNAL_ERROR, "é".repeat(400)); // 800 UTF-8 bytes
        Frame f = h.peer.expectStreamError(ErrorCode.INTERNAL_ERROR);
        assertEquals(2 + 512, f.payload().length);
        assertEquals("é".repeat(256), f.reason().reason());
    }
}
