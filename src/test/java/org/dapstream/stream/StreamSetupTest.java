package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** HELLO/WELCOME, what is refused before and after it, and the setup deadline. */
class StreamSetupTest extends EngineTest {

    @Test
    void connectorSendsHelloAsItsFirstFrame() {
        StreamHarness h = StreamHarness.connector();
        Frame hello = h.peer.only(PacketType.CONTROL, 0);
        assertEquals(0, hello.seq(), "first frame of ch 0");
        assertEquals(0, hello.flags());
        assertEquals(new ControlMessage.Hello(ControlMessage.PROTOCOL_VERSION, 0, StreamHarness.LOCAL), hello.control());
        assertEquals("01"                      // kind HELLO
                + "0100"                       // version 1
                + "0000"                       // features none
                + "11100f0e0d0c0b0a",          // node 0A0B::0C0D::0E0F::1011, u64 LE
                HexFormat.of().formatHex(hello.payload()));
        assertEquals(StreamState.SETUP, h.stream.state());
        assertFalse(h.stream.ready().isDone(), "a connector is ready only with its WELCOME");
    }

    @Test
    void acceptorWaitsSilentlyForHello() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.expectNothing();
        assertEquals(StreamState.SETUP, h.stream.state());
        assertFalse(h.stream.active());
        assertFalse(h.stream.ready().isDone());
        assertEquals(0, h.sessions.size());
    }

    @Test
    void acceptorAnswersHelloWithWelcome() {
        StreamHarness h = StreamHarness.acceptor();
        h.advanceMillis(100); // the session's create time is "now", not the stream's start
        h.peer.hello();

        Frame f = h.peer.only(PacketType.CONTROL, 0);
        assertEquals(0, f.seq());
        ControlMessage.Welcome welcome = (ControlMessage.Welcome) f.control();
        assertEquals(ControlMessage.PROTOCOL_VERSION, welcome.version());
        assertEquals(0, welcome.features());
        assertEquals(StreamHarness.LOCAL, welcome.node());
        assertEquals(3000, welcome.keepAliveTimeoutMillis(), "the acceptor's keepalive timeout, so the connector pings in time");

        Session session = h.stream.session();
        assertNotEquals(0, welcome.sessionId(), "session ids are non-zero");
        assertEquals(welcome.sessionId(), session.id());
        assertSame(session, h.sessions.find(welcome.sessionId()), "the session is registered");
        assertEquals(1, h.sessions.size());
        assertEquals(Peer.NODE, session.nodeAddress(), "the session belongs to the node the peer claimed");
        assertEquals(Peer.NODE, h.stream.node());
        assertEquals(FakeClock.START_MILLIS + 100, session.createTime());
        assertEquals(List.of(h.stream), session.streams());
        assertTrue(session.active());

        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertTrue(h.stream.active());
        assertTrue(h.stream.primary(), "the first stream of its session");
        assertFalse(h.stream.authorized(), "nothing is authenticated before the secure handshake");
        assertTrue(h.stream.ready().isDone());
        assertSame(h.stream, done(h.stream.ready()));
        assertEquals(List.of("active"), h.lifecycle);
        assertFalse(h.stream.closed().isDone());
    }

    @Test
    void welcomeCarriesTheConfiguredKeepAliveTimeout() {
        StreamHarness h = StreamHarness.acceptor(StreamHarness.defaults()
                .withKeepAlive(Duration.ofMillis(400), Duration.ofMillis(1500)));
        assertEquals(1500, h.peer.handshakeAsConnector().keepAliveTimeoutMillis());
    }

    @Test
    void connectorBecomesActiveOnWelcome() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        h.advanceMillis(10);
        h.peer.welcome(StreamHarness.PEER_SESSION, 3000);

        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertSame(h.stream, h.stream.ready().getNow(null));
        assertEquals(List.of("active"), h.lifecycle);
        assertEquals(Peer.NODE, h.stream.node());
        Session session = h.stream.session();
        assertEquals(StreamHarness.PEER_SESSION, session.id(), "the connector joins the session the acceptor named");
        assertEquals(Peer.NODE, session.nodeAddress());
        assertEquals(FakeClock.START_MILLIS + 10, session.createTime());
        assertTrue(h.stream.primary());
        assertEquals(0, h.sessions.size(), "a connector registers nothing");
        h.peer.expectNothing();
    }

    @Test
    void wrongVersionInHelloIsRefused() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.hello(2, 0);
        Frame error = h.peer.expectStreamError(ErrorCode.UNSUPPORTED_VERSION);
        assertEquals("peer speaks protocol version 2, this node speaks 1", error.reason().reason());
        assertEquals(0, error.seq(), "the acceptor's first frame");
        assertTrue(h.transport.closed());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(0, h.sessions.size(), "no session for a peer that was refused");
        assertEquals(1, h.counters.errorsSent(ErrorCode.UNSUPPORTED_VERSION));
        assertFailedWith(ErrorCode.UNSUPPORTED_VERSION, h);
    }

    @Test
    void wrongVersionInWelcomeIsRefused() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        h.peer.control(new ControlMessage.Welcome(7, 0, Peer.NODE, 99, 3000));
        Frame error = h.peer.expectStreamError(ErrorCode.UNSUPPORTED_VERSION);
        assertEquals("peer answered with protocol version 7, this node speaks 1", error.reason().reason());
        assertEquals(1, error.seq(), "after HELLO");
        assertFailedWith(ErrorCode.UNSUPPORTED_VERSION, h);
    }

    @Test
    void unknownFeatureBitsInHelloAreRefused() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.hello(ControlMessage.PROTOCOL_VERSION, 0x0001);
        assertEquals("HELLO features 0x0001; version 1 defines none",
                h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());
        assertEquals(0, h.sessions.size());
    }

    /** Frames an acceptor gets before HELLO; each ends the stream with the code given. */
    static Stream<Arguments> beforeHello() {
        return Stream.of(
                row("DATA on ch 1", p -> p.data(1, "early"),
                        ErrorCode.STREAM_NOT_READY, "DATA on channel 1 before the stream setup completed"),
                row("CONTROL on ch 1", p -> p.send(PacketType.CONTROL, 1, new byte[] {1}),
                        ErrorCode.STREAM_NOT_READY, "CONTROL on channel 1 before the stream setup completed"),
                row("CLOSE on ch 1", p -> p.close(1, ErrorCode.NORMAL, ""),
                        ErrorCode.STREAM_NOT_READY, "CLOSE on channel 1 before the stream setup completed"),
                row("OPEN_CHANNEL", p -> p.open(1, StreamHarness.APP),
                        ErrorCode.STREAM_NOT_READY, "OPEN_CHANNEL before the stream setup completed"),
                row("OPEN_ACK", p -> p.ack(2),
                        ErrorCode.STREAM_NOT_READY, "OPEN_ACK before the stream setup completed"),
                row("OPEN_REJECT", p -> p.reject(2, ErrorCode.NORMAL, ""),
                        ErrorCode.STREAM_NOT_READY, "OPEN_REJECT before the stream setup completed"),
                row("KEEPALIVE ping", p -> p.ping(1234),
                        ErrorCode.STREAM_NOT_READY, "KEEPALIVE before the stream setup completed"),
                row("KEEPALIVE pong", p -> p.pong(1234),
                        ErrorCode.STREAM_NOT_READY, "KEEPALIVE before the stream setup completed"),
                row("DATA on ch 0", p -> p.data(0, "x"),
                        ErrorCode.PROTOCOL_VIOLATION, "DATA on ch 0; data travels on channels 1..65535"),
                row("WELCOME to an acceptor", p -> p.welcome(1, 3000),
                        ErrorCode.MALFORMED_CONTROL, "WELCOME is only the accepting side's answer to HELLO"));
    }

    private static Arguments row(String name, Consumer<Peer> send, ErrorCode code, String message) {
        return Arguments.of(name, send, code, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("beforeHello")
    void nothingButHelloIsAcceptedBeforeSetup(String name, Consumer<Peer> send, ErrorCode code, String message) {
        StreamHarness h = StreamHarness.acceptor();
        send.accept(h.peer);
        Frame error = h.peer.expectStreamError(code);
        assertEquals(message, error.reason().reason());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertTrue(h.transport.closed());
        assertEquals(0, h.sessions.size());
        assertEquals(1, h.counters.errorsSent(code));
        assertFailedWith(code, h);
    }

    @Test
    void secondHelloIsMalformedControl() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Session session = h.stream.session();
        h.peer.hello();
        assertEquals("HELLO is only the connecting side's first frame",
                h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());
        assertEquals(0, h.sessions.size(), "the session went with its only stream");
        assertFalse(session.active());
    }

    @Test
    void helloToAConnectorIsMalformedControl() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        h.peer.hello();
        h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL);
    }

    @Test
    void secondWelcomeIsMalformedControl() {
        StreamHarness h = StreamHarness.activeConnector();
        h.peer.welcome(5, 3000);
        assertEquals("WELCOME is only the accepting side's answer to HELLO",
                h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());
    }

    @Test
    void startArmsTheSetupDeadlineAndTheKeepAliveTicker() {
        StreamHarness h = StreamHarness.acceptor();
        List<ManualScheduler.Timer> timers = h.scheduler.timers();
        assertEquals(2, timers.size(), "setup deadline and keepalive ticker");
        assertEquals(1, timers.stream().filter(t -> !t.periodic()).count());
        assertEquals(250, timers.stream().filter(ManualScheduler.Timer::periodic).findFirst().orElseThrow().periodMillis,
                "a quarter of the 1 s keepalive interval");
        assertEquals(1, h.counters.streamsOpened());
        h.peer.hello();
        assertEquals(1, h.scheduler.timers().size(), "the deadline is cancelled once set up");
    }

    @Test
    void setupDeadlineEndsAStreamThatNeverSaysHello() {
        StreamHarness h = StreamHarness.acceptor(StreamHarness.defaults().withSetupTimeout(Duration.ofSeconds(2)));
        h.advanceMillis(1999);
        h.peer.expectNothing();
        assertEquals(StreamState.SETUP, h.stream.state());

        h.advanceMillis(1);
        Frame error = h.peer.expectStreamError(ErrorCode.SETUP_TIMEOUT);
        assertEquals("stream setup not completed within 2000 ms", error.reason().reason());
        assertEquals(1, h.counters.setupTimeouts());
        assertEquals(0, h.counters.keepAliveTimeouts());
        assertEquals(1, h.counters.errorsSent(ErrorCode.SETUP_TIMEOUT));
        assertTrue(h.transport.closed());
        assertFailedWith(ErrorCode.SETUP_TIMEOUT, h);
        assertEquals(List.of(), h.scheduler.timers(), "no timer outlives the stream");
    }

    /** A peer that trickles its HELLO keeps the read side alive; the setup deadline still ends it. */
    @Test
    void setupDeadlineEndsATricklingPeer() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        byte[] welcome = org.dapstream.protocol.FrameHeader.frame(PacketType.CONTROL, 0, 0, 0,
                org.dapstream.protocol.ControlCodec.encode(new ControlMessage.Welcome(1, 0, Peer.NODE, 9, 3000)));
        int at = 0;
        while (h.stream.state() == StreamState.SETUP) {
            h.peer.feed(new byte[] {welcome[at++]});
            h.advanceMillis(400);
        }
        assertEquals(5200, h.clock.elapsedMillis(), "ended by the 5 s deadline, seen on the 400 ms step after it");
        h.peer.expectStreamError(ErrorCode.SETUP_TIMEOUT);
        assertEquals(1, h.counters.setupTimeouts());
        assertEquals(0, h.counters.keepAliveTimeouts());
        assertTrue(at < welcome.length);
    }

    /**
     * During setup only the setup deadline applies, although the keepalive timeout (3 s) is
     * shorter than it (5 s): a silent peer gets SETUP_TIMEOUT, not KEEPALIVE_TIMEOUT.
     */
    @Test
    void aSilentPeerDuringSetupGetsTheSetupTimeoutNotTheKeepAliveTimeout() {
        StreamHarness h = StreamHarness.acceptor();
        h.advanceMillis(3000 + 250);
        assertTrue(h.peer.frames().isEmpty(), "nothing sent at the keepalive timeout: " + h.peer.frames());
        h.advanceMillis(2000);
        h.peer.expectStreamError(ErrorCode.SETUP_TIMEOUT);
        assertEquals(0, h.counters.keepAliveTimeouts());
        assertEquals(1, h.counters.setupTimeouts());
    }

    @Test
    void theSetupDeadlineDoesNotFireOnceActive() {
        StreamHarness h = StreamHarness.activeAcceptor();
        for (int i = 0; i < 8; i++) {
            h.advanceMillis(1000);
            h.peer.ping(i);
        }
        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertEquals(0, h.counters.setupTimeouts());
        assertTrue(h.peer.frames().stream().allMatch(f -> f.type() == PacketType.KEEPALIVE));
    }

    @Test
    void openingAChannelBeforeSetupFails() {
        StreamHarness h = StreamHarness.connector();
        var f = h.stream.openChannel(ChannelType.FILE, null);
        assertTrue(f.isCompletedExceptionally());
        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(ErrorCode.STREAM_NOT_READY, e.reason().errorCode());
        h.peer.only(PacketType.CONTROL, 0); // the HELLO, and no OPEN_CHANNEL
    }

    @Test
    void readyFailsWhenTheStreamEndsDuringSetup() {
        StreamHarness h = StreamHarness.connector();
        h.peer.only(PacketType.CONTROL, 0);
        h.peer.error(0, ErrorCode.GOING_AWAY, "shutting down");
        assertEquals(StreamState.CLOSED, h.stream.state());
        StreamException e = assertInstanceOf(StreamException.class, failure(h.stream.ready()));
        assertEquals(ErrorCode.GOING_AWAY, e.reason().errorCode());
        assertEquals("shutting down", e.reason().reason());
        assertEquals(1, h.counters.errorsReceived(ErrorCode.GOING_AWAY));
        h.peer.expectNothing();
    }

    static void assertFailedWith(ErrorCode code, StreamHarness h) {
        StreamException e = assertInstanceOf(StreamException.class, failure(h.stream.ready()));
        assertEquals(code, e.reason().errorCode());
        assertEquals(code, h.stream.closed().getNow(null).errorCode());
        assertEquals(1, h.counters.streamsClosed());
    }
}
