package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Opening, refusing and closing channels; which frames a channel accepts in which state. */
class StreamChannelTest extends EngineTest {

    // ---------------------------------------------------------------- ids

    @Test
    void aConnectorOpensOddIds() {
        StreamHarness h = StreamHarness.activeConnector();
        List<CompletableFuture<Channel>> opens = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            opens.add(h.stream.openChannel(ChannelType.FILE, null));
        }
        List<Frame> frames = h.peer.frames();
        assertEquals(List.of(
                new ControlMessage.OpenChannel(1, ChannelType.FILE, ControlMessage.OPTION_COMPRESSION),
                new ControlMessage.OpenChannel(3, ChannelType.FILE, ControlMessage.OPTION_COMPRESSION),
                new ControlMessage.OpenChannel(5, ChannelType.FILE, ControlMessage.OPTION_COMPRESSION)),
                frames.stream().map(Frame::control).toList());
        assertEquals(List.of(1, 2, 3), frames.stream().map(Frame::seq).toList(), "ch 0 seq goes on after HELLO (0)");
        assertTrue(opens.stream().noneMatch(CompletableFuture::isDone), "nothing is open before OPEN_ACK");
        h.peer.ack(3);
        h.peer.ack(1);
        h.peer.ack(5);
        assertEquals(List.of(1, 3, 5), opens.stream().map(f -> done(f).id()).toList());
        for (CompletableFuture<Channel> f : opens) {
            Channel ch = done(f);
            assertEquals(ChannelType.FILE, ch.type());
            assertTrue(ch.openedLocally());
            assertTrue(ch.active());
            assertSame(h.stream, ch.stream());
            assertSame(h.stream.session(), ch.session());
        }
    }

    @Test
    void anAcceptorOpensEvenIds() {
        StreamHarness h = StreamHarness.activeAcceptor();
        for (int expected = 2; expected <= 6; expected += 2) {
            Channel ch = h.openLocally(ChannelType.MEDIA, null);
            assertEquals(expected, ch.id());
            assertTrue(ch.openedLocally());
        }
    }

    @Test
    void openAckCompletesTheFutureAndCallsOpened() {
        StreamHarness h = StreamHarness.activeConnector();
        RecordingHandler handler = new RecordingHandler();
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.SERVICE, handler);
        assertEquals(new ControlMessage.OpenChannel(1, ChannelType.SERVICE, ControlMessage.OPTION_COMPRESSION), h.peer.only().control(),
                "compression is offered by default");
        assertFalse(f.isDone());
        assertEquals(List.of(), handler.events);
        assertEquals(1, h.stream.channels().size());
        assertEquals(Channel.State.OPENING, h.stream.channels().get(0).state());

        h.peer.ack(1);
        assertTrue(f.isDone());
        assertEquals(List.of("opened 1"), handler.events);
        assertSame(handler.channel(1), done(f));
        assertEquals(Channel.State.OPEN, done(f).state());
        h.peer.expectNothing();
    }

    @Test
    void openRejectFailsTheFutureWithTheCode() {
        StreamHarness h = StreamHarness.activeConnector();
        RecordingHandler handler = new RecordingHandler();
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.MEDIA, handler);
        h.peer.only();
        h.peer.reject(1, ErrorCode.UNSUPPORTED_CHANNEL_TYPE, "no media here");

        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), e.reason().code());
        assertEquals("no media here", e.reason().reason());
        assertEquals(List.of(), h.stream.channels());
        assertEquals(List.of(), handler.events, "a channel that never opened is not reported opened or closed");
        assertTrue(h.stream.active(), "a refused channel does not end the stream");
        // The refused id never opened: a frame on it is UNKNOWN_CHANNEL, not CHANNEL_CLOSED.
        h.peer.data(1, "x");
        h.peer.expectStreamError(ErrorCode.UNKNOWN_CHANNEL);
    }

    @Test
    void openRejectWithACodeFromANewerPeerKeepsTheCode() {
        StreamHarness h = StreamHarness.activeConnector();
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.MEDIA, null);
        h.peer.only();
        h.peer.control(new ControlMessage.OpenReject(1, 0x7777, ""));
        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(0x7777, e.reason().code());
    }

    @Test
    void ackOrRejectForAChannelWeAreNotOpeningIsMalformedControl() {
        StreamHarness h = StreamHarness.activeConnector();
        h.peer.ack(3);
        assertEquals("OPEN_ACK for channel 3, which this side is not opening",
                h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());

        StreamHarness h2 = StreamHarness.activeConnector();
        h2.openLocally(ChannelType.FILE, null);
        h2.peer.ack(1); // a second ack for an open channel
        assertEquals("OPEN_ACK for channel 1, which this side is not opening",
                h2.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());

        StreamHarness h3 = StreamHarness.activeConnector();
        h3.peer.reject(5, ErrorCode.NORMAL, "");
        assertEquals("OPEN_REJECT for channel 5, which this side is not opening",
                h3.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());
    }

    // ---------------------------------------------------------------- the peer opens

    @Test
    void peerOpensAChannelOfARegisteredType() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.open(1, StreamHarness.APP);
        Frame ack = h.peer.only(PacketType.CONTROL, 0);
        assertEquals(new ControlMessage.OpenAck(1), ack.control());
        assertEquals(List.of("opened 1"), h.service.events);
        Channel ch = h.service.channel(1);
        assertEquals(StreamHarness.APP, ch.type());
        assertFalse(ch.openedLocally());
        assertEquals(Channel.State.OPEN, ch.state());
        assertEquals(List.of(ch), h.stream.channels());
        assertEquals(List.of(ch), h.stream.session().channels());
    }

    @ParameterizedTest(name = "id {0}")
    @ValueSource(ints = {0, 2, 4, 0xFFFE})
    void peerOpeningAnIdOfOurParityOrZeroIsBadChannelId(int id) {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.openRaw(id, StreamHarness.APP.code(), 0);
        assertEquals("peer opened channel " + id + "; the connecting side opens odd ids 1..65535",
                h.peer.expectStreamError(ErrorCode.BAD_CHANNEL_ID).reason().reason());
        assertEquals(List.of(), h.service.events);
    }

    @Test
    void aConnectorRefusesOddIdsFromItsPeer() {
        StreamHarness h = StreamHarness.activeConnector();
        h.peer.open(7, StreamHarness.APP);
        assertEquals("peer opened channel 7; the accepting side opens even ids 1..65535",
                h.peer.expectStreamError(ErrorCode.BAD_CHANNEL_ID).reason().reason());
    }

    @Test
    void aConnectorAcceptsEvenIdsFromItsPeer() {
        StreamHarness h = StreamHarness.activeConnector();
        assertEquals(2, h.peerOpens(2).id());
        assertEquals(0xFFFE, h.peerOpens(0xFFFE).id());
    }

    @Test
    void peerOpeningAnOpenIdIsBadChannelId() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.open(1, StreamHarness.APP);
        assertEquals("peer opened channel 1, which is already open",
                h.peer.expectStreamError(ErrorCode.BAD_CHANNEL_ID).reason().reason());
    }

    @Test
    void optionsOtherThanCompressionAreMalformedControl() {
        for (int options : new int[] {0x80, 0x02, 0x03}) {
            StreamHarness h = StreamHarness.activeAcceptor();
            h.peer.open(1, StreamHarness.APP, options);
            assertEquals(String.format("OPEN_CHANNEL options 0x%02x; version 1 defines 0x01 (compression) only", options),
                    h.peer.expectStreamError(ErrorCode.MALFORMED_CONTROL).reason().reason());
            assertEquals(List.of(), h.service.events);
        }
    }

    @Test
    void thePeersCompressionOptionIsRecordedOnTheChannel() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.open(1, StreamHarness.APP, ControlMessage.OPTION_COMPRESSION);
        h.peer.open(3, StreamHarness.APP, 0);
        assertEquals(List.of(new ControlMessage.OpenAck(1), new ControlMessage.OpenAck(3)),
                h.peer.frames().stream().map(Frame::control).toList());
        assertTrue(h.service.channel(1).compression());
        assertFalse(h.service.channel(3).compression());
    }

    @Test
    void securityChannelsAndNodesWithoutCompressionDoNotOfferIt() {
        StreamHarness h = StreamHarness.activeConnector();
        h.stream.openChannel(ChannelType.SECURITY, null);
        assertEquals(new ControlMessage.OpenChannel(1, ChannelType.SECURITY, 0), h.peer.only().control(),
                "never offered on SECURITY channels (compression leaks plaintext through sizes)");
        h.stream.openChannel(ChannelType.FILE, null, false);
        assertEquals(new ControlMessage.OpenChannel(3, ChannelType.FILE, 0), h.peer.only().control(), "declined by the caller");
        h.stream.openChannel(ChannelType.SECURITY, null, true);
        assertEquals(new ControlMessage.OpenChannel(5, ChannelType.SECURITY, ControlMessage.OPTION_COMPRESSION), h.peer.only().control(),
                "an explicit choice wins");

        StreamConfig off = StreamHarness.defaults().withFlow(FlowConfig.defaults().withCompression(false));
        StreamHarness quiet = StreamHarness.activeConnector(off);
        quiet.stream.openChannel(ChannelType.FILE, null);
        assertEquals(new ControlMessage.OpenChannel(1, ChannelType.FILE, 0), quiet.peer.only().control(),
                "a node configured without compression offers none");
    }

    @ParameterizedTest(name = "type 0x{0}")
    @ValueSource(ints = {0x00, 0x01, 0x04, 0x05, 0x0F, 0x44, 0xFF})
    void anUnservedOrReservedTypeIsRejectedAndTheStreamGoesOn(int code) {
        StreamHarness h = StreamHarness.activeAcceptor();
        ChannelType type = new ChannelType(code);
        h.peer.open(3, type);
        ControlMessage.OpenReject reject = (ControlMessage.OpenReject) h.peer.only(PacketType.CONTROL, 0).control();
        assertEquals(3, reject.channelId());
        assertEquals(ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), reject.code());
        assertEquals("no service for channel type " + type, reject.reason());
        assertEquals(1, h.counters.errorsSent(ErrorCode.UNSUPPORTED_CHANNEL_TYPE));
        assertTrue(h.stream.active());
        assertEquals(List.of(), h.stream.channels());

        // The stream goes on: the same id can be opened with a served type.
        Channel ch = h.peerOpens(3);
        h.peer.data(3, "still here");
        assertEquals(List.of("opened 3", "in 3 DATA still here"), h.service.events);
        assertEquals(3, ch.id());
    }

    @Test
    void aStreamWithoutServicesRejectsEveryOpen() {
        FakeClock clock = new FakeClock();
        FakeTransport transport = new FakeTransport(new ManualScheduler(clock));
        Stream s = new Stream(StreamRole.CONNECTOR, transport, new LocalNode(StreamConfig.defaults(), clock, null, null,
                StreamHarness.LOCAL, new StreamCounters()), null);
        Peer peer = new Peer(s, transport);
        s.start();
        peer.handshakeAsAcceptor(1, 3000);
        peer.open(2, ChannelType.FILE);
        ControlMessage.OpenReject reject = (ControlMessage.OpenReject) peer.only().control();
        assertEquals(ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), reject.code());
        assertTrue(s.active());
        assertEquals(List.of(), transport.misuse());
    }

    @Test
    void peerOpensBeyondMaxChannelsAreRejected() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.config(2, 1 << 20));
        h.peerOpens(1);
        h.peerOpens(3);
        h.peer.open(5, StreamHarness.APP);
        ControlMessage.OpenReject reject = (ControlMessage.OpenReject) h.peer.only().control();
        assertEquals(5, reject.channelId());
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED.code(), reject.code());
        assertEquals("the limit of 2 channels per stream is reached", reject.reason());
        assertEquals(1, h.counters.errorsSent(ErrorCode.RESOURCE_EXHAUSTED));
        assertEquals(2, h.stream.channels().size());
        assertTrue(h.stream.active());

        // Closing one frees a place.
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.only(PacketType.CLOSE, 1);
        h.peerOpens(5);
    }

    @Test
    void localOpensBeyondMaxChannelsFailWithoutAFrame() {
        StreamHarness h = StreamHarness.activeConnector(StreamHarness.config(2, 1 << 20));
        h.peerOpens(2);
        h.openLocally(ChannelType.FILE, null);
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.FILE, null);
        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.reason().errorCode());
        h.peer.expectNothing();
    }

    @Test
    void openingAReservedTypeLocallyFails() {
        StreamHarness h = StreamHarness.activeConnector();
        CompletableFuture<Channel> f = h.stream.openChannel(new ChannelType(0x07), null);
        assertInstanceOf(IllegalArgumentException.class, failure(f));
        h.peer.expectNothing();
    }

    @Test
    void manyChannelsOfOneType() {
        StreamHarness h = StreamHarness.activeAcceptor();
        for (int id = 1; id <= 199; id += 2) {
            h.peerOpens(id);
        }
        assertEquals(100, h.stream.channels().size());
        assertEquals(100, h.stream.stats().activeChannels());
        for (int id = 199; id >= 1; id -= 2) {
            h.peer.data(id, "to " + id);
        }
        List<String> in = h.service.events("in");
        assertEquals(100, in.size());
        for (int i = 0; i < 100; i++) {
            int id = 199 - 2 * i;
            assertEquals("in " + id + " DATA to " + id, in.get(i));
        }
        for (int id = 1; id <= 199; id += 2) {
            assertEquals(StreamHarness.APP, h.service.channel(id).type());
        }
        h.peer.expectNothing();
    }

    /**
     * Regression test (fixed): a side that keeps every id of its parity busy (possible whenever maxChannels is
     * above 32767) spins for ever in allocateChannelId on the next open.
     */
    @Test
    void openingWhenEveryIdOfOurParityIsTakenFails() {
        StreamHarness h = StreamHarness.activeConnector(StreamHarness.config(65535, 1 << 20));
        for (int i = 0; i < 32768; i++) {
            h.stream.openChannel(ChannelType.FILE, null);
        }
        assertEquals(32768, h.stream.channels().size());
        h.peer.frames();
        CompletableFuture<Channel> f = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(5), () -> h.stream.openChannel(ChannelType.FILE, null));
        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.reason().errorCode());
    }

    @Test
    void idsWrapAfter65535AndSkipIdsInUse() {
        StreamHarness h = StreamHarness.activeConnector();
        // Keep channels 1 and 3 open, then open and close enough channels to wrap the id counter.
        Channel one = h.openLocally(ChannelType.FILE, null);
        Channel three = h.openLocally(ChannelType.FILE, null);
        for (int id = 5; id <= 65535; id += 2) {
            CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.FILE, null);
            h.peer.frames();
            h.peer.reject(id, ErrorCode.NORMAL, "");
            assertTrue(f.isCompletedExceptionally());
        }
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.FILE, null);
        assertEquals(new ControlMessage.OpenChannel(5, ChannelType.FILE, ControlMessage.OPTION_COMPRESSION), h.peer.only().control(),
                "after 65535 the counter wraps to 1; 1 and 3 are open, 5 is free again");
        assertTrue(one.active() && three.active());
        h.peer.ack(5);
        assertEquals(5, done(f).id());
    }

    // ---------------------------------------------------------------- closing

    @Test
    void localCloseSendsCloseAndCompletesOnThePeersClose() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        CompletableFuture<CloseReason> closed = ch.close();
        Frame close = h.peer.only(PacketType.CLOSE, 1);
        assertEquals(0, close.seq(), "the first frame the stream sends on ch 1");
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), close.reason());
        assertFalse(closed.isDone(), "closed once the peer answers");
        assertEquals(Channel.State.CLOSING, ch.state());
        assertFalse(ch.active());
        assertEquals(List.of("opened 1"), h.service.events);

        // Data the peer sent before it saw our CLOSE is still delivered.
        h.peer.data(1, "in flight");
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.expectNothing();
        assertTrue(closed.isDone());
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(closed), "the reason we closed with");
        assertSame(closed, ch.closed());
        assertEquals(Channel.State.CLOSED, ch.state());
        assertEquals(List.of("opened 1", "in 1 DATA in flight", "closed 1 NORMAL(0x0000): closed by application"),
                h.service.events);
        assertEquals(List.of(), h.stream.channels());
        assertTrue(h.stream.active());

        // A second close is harmless and sends nothing.
        assertSame(closed, ch.close());
        h.peer.expectNothing();
    }

    @Test
    void aClosedIdCanBeOpenedAgainWithFreshSequences() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel first = h.peerOpens(1);
        first.write(PacketType.DATA, new byte[] {1});
        h.peer.data(1, "a");
        h.peer.data(1, "b");
        h.peer.frames();
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.only(PacketType.CLOSE, 1);

        h.peer.resetSeq(1);
        Channel second = h.peerOpens(1);
        assertNotSame(first, second);
        assertEquals(0, second.receiveSeq());
        assertEquals(0, second.sendSeq());
        h.peer.data(1, "again"); // seq 0 on the new channel
        second.write(PacketType.DATA, new byte[] {2});
        assertEquals(0, h.peer.only(PacketType.DATA, 1).seq());
        assertEquals("in 1 DATA again", h.service.events("in").get(2));
        assertTrue(h.stream.active());
    }

    @Test
    void remoteCloseIsAnsweredWithClose() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.peer.close(1, ErrorCode.NORMAL, "bye");
        Frame answer = h.peer.only(PacketType.CLOSE, 1);
        assertEquals(ErrorCode.NORMAL, answer.errorCode());
        assertEquals(Channel.State.CLOSED, ch.state());
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "bye"), done(ch.closed()), "the peer's reason");
        assertEquals(List.of("opened 1", "closed 1 NORMAL(0x0000): bye"), h.service.events);
        assertEquals(0, h.counters.errorsReceived(ErrorCode.NORMAL), "a CLOSE is not an error");
        assertTrue(h.stream.active());
    }

    @Test
    void remoteErrorOnAChannelClosesItAndIsCounted() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        Channel other = h.peerOpens(3);
        h.peer.error(1, ErrorCode.HANDLER_FAILED, "their handler broke");
        assertEquals(ErrorCode.NORMAL, h.peer.only(PacketType.CLOSE, 1).errorCode());
        assertEquals(ErrorCode.HANDLER_FAILED, done(ch.closed()).errorCode());
        assertEquals(1, h.counters.errorsReceived(ErrorCode.HANDLER_FAILED));
        assertTrue(other.active());
        assertTrue(h.stream.active());
    }

    @Test
    void simultaneousCloseEndsWithoutAThirdFrame() {
        StreamHarness h = StreamHarness.activeConnector();
        RecordingHandler handler = new RecordingHandler();
        Channel ch = h.openLocally(ChannelType.FILE, handler);
        ch.close();
        h.peer.only(PacketType.CLOSE, 1);
        h.peer.close(1, ErrorCode.NORMAL, "crossing"); // sent before the peer saw ours
        h.peer.expectNothing();
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(ch.closed()));
        assertEquals(List.of("opened 1", "closed 1 NORMAL(0x0000): closed by application"), handler.events);
        assertEquals(List.of(), h.stream.channels());
    }

    @Test
    void closeFromAnotherThreadHopsOntoTheLoop() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        ch.close();
        h.transport.inLoop = true;
        h.peer.expectNothing();
        assertEquals(1, h.transport.runPending());
        h.peer.only(PacketType.CLOSE, 1);
    }

    // ---------------------------------------------------------------- frames on channels in the wrong state

    @Test
    void dataOnANeverOpenedChannelIsUnknownChannel() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.data(9, "x");
        assertEquals("DATA on channel 9, which was never opened",
                h.peer.expectStreamError(ErrorCode.UNKNOWN_CHANNEL).reason().reason());
    }

    @Test
    void dataOnAClosedChannelIsChannelClosed() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.only(PacketType.CLOSE, 1);
        h.peer.data(1, "late");
        assertEquals("DATA on channel 1, which is closed",
                h.peer.expectStreamError(ErrorCode.CHANNEL_CLOSED).reason().reason());
    }

    @Test
    void dataOnALocallyOpenedChannelAfterItClosedIsChannelClosed() {
        StreamHarness h = StreamHarness.activeConnector();
        Channel ch = h.openLocally(ChannelType.FILE, null);
        ch.close();
        h.peer.only(PacketType.CLOSE, 1);
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.data(1, "late");
        h.peer.expectStreamError(ErrorCode.CHANNEL_CLOSED);
    }

    @Test
    void dataBeforeOpenAckIsAProtocolViolation() {
        StreamHarness h = StreamHarness.activeConnector();
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.FILE, null);
        h.peer.only();
        h.peer.data(1, "too soon");
        assertEquals("DATA on channel 1 before OPEN_ACK",
                h.peer.expectStreamError(ErrorCode.PROTOCOL_VIOLATION).reason().reason());
        StreamException e = assertInstanceOf(StreamException.class, failure(f));
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, e.reason().errorCode(), "the pending open fails with the stream");
    }

    @Test
    void keepAliveOnAChannelIsMalformedFrame() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.send(PacketType.KEEPALIVE, 1, new org.dapstream.protocol.KeepAlivePayload(false, 1).encode());
        assertEquals("KEEPALIVE on channel 1; keepalives belong to ch 0",
                h.peer.expectStreamError(ErrorCode.MALFORMED_FRAME).reason().reason());
    }

    @Test
    void channelsGetClosedWhenTheStreamCloses() {
        StreamHarness h = StreamHarness.activeConnector();
        RecordingHandler handler = new RecordingHandler();
        Channel open = h.openLocally(ChannelType.FILE, handler);
        CompletableFuture<Channel> opening = h.stream.openChannel(ChannelType.FILE, handler);
        h.peer.frames();

        h.stream.close();
        // The channel still opening is failed at once; the open one lasts until the peer answers.
        assertTrue(opening.isCompletedExceptionally());
        assertEquals(ErrorCode.NORMAL, assertInstanceOf(StreamException.class, failure(opening)).reason().errorCode());
        Frame close = h.peer.only(PacketType.CLOSE, 0);
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), close.reason());
        assertTrue(open.state() == Channel.State.OPEN);
        assertFalse(h.stream.active(), "closing");
        assertEquals(StreamState.ACTIVE, h.stream.state());

        h.peer.close(0, ErrorCode.NORMAL, "");
        h.peer.expectNothing();
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(open.closed()));
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(h.stream.closed()));
        assertEquals(List.of("opened 1", "closed 1 NORMAL(0x0000): closed by application"),
                handler.events.stream().filter(e -> e.endsWith(" 1") || e.contains(" 1 ")).toList());
        assertTrue(h.transport.closed());
    }
}
