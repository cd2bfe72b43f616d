package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The channel callbacks: packetIn, failures, pull mode, packetOut. */
class StreamHandlerTest extends EngineTest {

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    @Test
    void packetInReceivesThePayloadAndItsType() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.data(1, "hello");
        h.peer.send(PacketType.CONTROL, 1, "app control".getBytes(StandardCharsets.UTF_8));
        h.peer.data(1, new byte[0]);
        assertEquals(List.of("in 1 DATA hello", "in 1 CONTROL app control", "in 1 DATA "), h.service.events("in"));
        assertEquals(0, h.service.payloads.get(2).length);
        h.peer.expectNothing();
    }

    @Test
    void aFullSizePayloadArrivesWhole() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        byte[] big = new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD];
        new Random(7).nextBytes(big);
        h.peer.data(1, big);
        assertArrayEquals(big, h.service.payloads.get(0));
    }

    /** The same conversation fed in slices of every size gives the same callbacks (frames split anywhere). */
    @ParameterizedTest(name = "slices of {0}")
    @ValueSource(ints = {1, 2, 3, 5, 7, 11, 12, 13, 24, 100})
    void inputSplitAnywhereGivesTheSameCallbacks(int slice) {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.chunk = slice;
        h.peer.hello();
        h.peer.open(1, StreamHarness.APP);
        h.peer.open(3, StreamHarness.APP2);
        h.peer.data(1, "first");
        h.peer.data(3, "second on three");
        h.peer.data(1, new byte[0]);
        h.peer.data(1, "x".repeat(300));
        h.peer.close(3, ErrorCode.NORMAL, "done");
        h.peer.ping(99);
        assertEquals(List.of("opened 1", "in 1 DATA first", "in 1 DATA ", "in 1 DATA " + "x".repeat(300)), h.service.events);
        assertEquals(List.of("opened 3", "in 3 DATA second on three", "closed 3 NORMAL(0x0000): done"), h.service2.events);
        List<Frame> sent = h.peer.frames();
        assertEquals(List.of("CONTROL 0", "CONTROL 0", "CONTROL 0", "CLOSE 3", "KEEPALIVE 0"),
                sent.stream().map(f -> f.type() + " " + f.ch()).toList());
        assertTrue(h.stream.active());
    }

    @Test
    void aThrowingHandlerLosesItsChannelAndTheOthersGoOn() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onPacketIn = (ch, type, data) -> {
            if (text(data).equals("boom")) {
                throw new IllegalStateException("handler bug");
            }
        };
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        h.peer.data(1, "ok");
        h.peer.data(1, "boom");

        Frame error = h.peer.only(PacketType.ERROR, 1);
        assertEquals(CloseReason.of(ErrorCode.HANDLER_FAILED, "handler failed: IllegalStateException"), error.reason());
        assertEquals(Channel.State.CLOSING, one.state());
        assertEquals(1, h.counters.errorsSent(ErrorCode.HANDLER_FAILED));
        assertTrue(h.stream.active(), "only the channel fails");

        // Packets the peer sent before it saw the ERROR are dropped, not handed to the failed handler.
        h.peer.data(1, "after");
        assertEquals(List.of("in 1 DATA ok", "in 1 DATA boom"), h.service.events("in").subList(0, 2));
        assertEquals(2, h.service.events("in").size());

        // The other channel on the stream keeps working both ways.
        h.peer.data(3, "fine");
        assertTrue(three.write(PacketType.DATA, "reply".getBytes(StandardCharsets.UTF_8)));
        assertEquals("reply", h.peer.only(PacketType.DATA, 3).text());
        assertEquals("in 3 DATA fine", h.service.events("in").get(2));

        // The peer answers the ERROR with CLOSE; the channel is gone with the reason we sent.
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.expectNothing();
        assertEquals(Channel.State.CLOSED, one.state());
        assertEquals(ErrorCode.HANDLER_FAILED, done(one.closed()).errorCode());
        assertTrue(h.service.events.contains("closed 1 HANDLER_FAILED(0x0012): handler failed: IllegalStateException"));
        assertEquals(List.of(three), h.stream.channels());
    }

    @Test
    void aHandlerThatThrowsInOpenedLosesItsChannel() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onOpened = ch -> {
            throw new UnsupportedOperationException("not today");
        };
        h.peer.open(1, StreamHarness.APP);
        List<Frame> f = h.peer.frames();
        assertEquals(2, f.size(), f::toString);
        assertEquals(new ControlMessage.OpenAck(1), f.get(0).control());
        assertTrue(f.get(1).is(PacketType.ERROR, 1));
        assertEquals("handler failed: UnsupportedOperationException", f.get(1).reason().reason());
        assertTrue(h.stream.active());
    }

    @Test
    void aThrowingClosedCallbackIsContained() {
        StreamHarness h = StreamHarness.activeAcceptor();
        RecordingHandler angry = new RecordingHandler() {
            @Override
            public void closed(Channel channel, CloseReason reason) {
                super.closed(channel, reason);
                throw new IllegalStateException("closed() bug");
            }
        };
        h.services.unregister(StreamHarness.APP);
        h.services.register(StreamHarness.APP, angry);
        Channel ch = h.peerOpens(1, StreamHarness.APP, angry);
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.only(PacketType.CLOSE, 1);
        assertTrue(ch.closed().isDone());
        assertTrue(h.stream.active());
    }

    // ---------------------------------------------------------------- pull mode

    @Test
    void pullModeBuffersAndSignalsReadyToReadOnce() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        assertTrue(ch.pullMode());
        assertNull(ch.read(), "nothing yet");

        h.peer.data(1, "one");
        assertEquals(1, h.service.readyToRead, "the queue became non-empty");
        h.peer.data(1, "two");
        h.peer.send(PacketType.CONTROL, 1, "three".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, h.service.readyToRead, "not again while packets wait");
        assertEquals(List.of(), h.service.events("in"), "no packetIn in pull mode");
        assertEquals(11, ch.bufferedBytes());

        List<String> got = new ArrayList<>();
        Packet p;
        while ((p = ch.read()) != null) {
            got.add(p.type() + " " + new String(p.data(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("DATA one", "DATA two", "CONTROL three"), got);
        assertEquals(0, ch.bufferedBytes());

        h.peer.data(1, "four");
        assertEquals(2, h.service.readyToRead, "empty again, so a new packet signals again");
        assertEquals("four", new String(ch.read().data(), StandardCharsets.UTF_8));
    }

    @Test
    void pulledPacketsAreCopies() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        byte[] frame = org.dapstream.protocol.FrameHeader.frame(PacketType.DATA, 0, 1, 0, "abc".getBytes(StandardCharsets.UTF_8));
        h.peer.feed(frame);
        java.util.Arrays.fill(frame, (byte) 'z'); // the transport reuses its read buffer
        assertEquals("abc", new String(ch.read().data(), StandardCharsets.UTF_8));
    }

    /** Window-sized DATA from the peer on {@code ch}, 64 KiB frames. */
    private static void fillWindow(StreamHarness h, int ch) {
        for (int i = 0; i < FlowConfig.DEFAULT_CHANNEL_WINDOW / FrameLimits.DEFAULT_MESSAGE_PAYLOAD; i++) {
            h.peer.data(ch, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]);
        }
    }

    private static ControlMessage.WindowUpdate windowUpdate(Frame f) {
        return (ControlMessage.WindowUpdate) f.control();
    }

    @Test
    void anUnreadPullBufferWithholdsCreditInsteadOfPausingTheSocket() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        fillWindow(h, 1);
        assertFalse(h.transport.paused(), "pull mode no longer pauses the connection");
        assertEquals(0, h.transport.pauseCalls());
        h.peer.expectNothing(); // no WINDOW_UPDATE: nothing was read
        assertEquals(FlowConfig.DEFAULT_CHANNEL_WINDOW, ch.bufferedBytes());
        assertEquals(FlowConfig.DEFAULT_CHANNEL_WINDOW, h.stream.heldBytes());

        h.peer.data(1, new byte[1]);
        assertEquals(ErrorCode.FLOW_CONTROL_VIOLATION, h.peer.expectStreamError(ErrorCode.FLOW_CONTROL_VIOLATION).errorCode(),
                "a byte past the window the reader holds is the peer's fault");
    }

    @Test
    void readingGrantsTheWindowBackInHalves() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        fillWindow(h, 1);
        int half = FlowConfig.DEFAULT_CHANNEL_WINDOW / 2;
        for (int read = 0; read < half; read += FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            h.peer.expectNothing(); // less than half a window read: no grant yet
            assertEquals(FrameLimits.DEFAULT_MESSAGE_PAYLOAD, ch.read().data().length);
        }
        assertEquals(new ControlMessage.WindowUpdate(1, half), windowUpdate(h.peer.only(PacketType.CONTROL, 0)));
        for (int sent = 0; sent < half; sent += FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            h.peer.data(1, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]); // the granted half may come now, not a byte more
        }
        assertEquals(StreamState.ACTIVE, h.stream.state());
        h.peer.data(1, new byte[1]);
        h.peer.expectStreamError(ErrorCode.FLOW_CONTROL_VIOLATION);
    }

    @Test
    void readingFromAnotherThreadGrantsOnTheLoop() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        int half = FlowConfig.DEFAULT_CHANNEL_WINDOW / 2;
        for (int sent = 0; sent < half; sent += FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            h.peer.data(1, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]);
        }
        h.transport.inLoop = false;
        while (ch.read() != null) {
            // drain on "another thread"
        }
        assertEquals(1, h.transport.pendingTasks(), "one credit task for the batch, however many reads");
        h.transport.inLoop = true;
        h.peer.expectNothing();
        h.transport.runPending();
        assertEquals(new ControlMessage.WindowUpdate(1, half), windowUpdate(h.peer.only(PacketType.CONTROL, 0)));
    }

    @Test
    void closingAPullChannelWithUnreadBytesGivesTheStreamWindowBack() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.pullMode();
        // The four channels fill the 4 MiB stream window; nobody reads.
        for (int id = 1; id <= 7; id += 2) {
            h.peerOpens(id);
            fillWindow(h, id);
        }
        h.peer.expectNothing();
        for (int id = 1; id <= 7; id += 2) {
            h.peer.close(id, ErrorCode.NORMAL, "");
        }
        List<ControlMessage.WindowUpdate> grants = h.peer.frames().stream()
                .filter(f -> f.is(PacketType.CONTROL, 0)).map(StreamHandlerTest::windowUpdate).toList();
        assertEquals(List.of(new ControlMessage.WindowUpdate(0, 2 * FlowConfig.DEFAULT_CHANNEL_WINDOW),
                new ControlMessage.WindowUpdate(0, 2 * FlowConfig.DEFAULT_CHANNEL_WINDOW)), grants,
                "the unread bytes of a closed channel no longer hold the stream window");
        h.peerOpens(9);
        h.peer.data(9, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]);
        assertEquals(StreamState.ACTIVE, h.stream.state(), "the stream takes traffic on a new channel");
        assertEquals(FrameLimits.DEFAULT_MESSAGE_PAYLOAD, h.stream.heldBytes());
    }

    @Test
    void twoPausesNeedTwoResumes() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.stream.reading.pause();
        h.stream.reading.pause();
        assertEquals(1, h.transport.pauseCalls());
        h.stream.reading.resume();
        assertTrue(h.transport.paused());
        h.stream.reading.resume();
        assertFalse(h.transport.paused());
        h.stream.reading.resume(); // unbalanced: ignored
        assertEquals(1, h.transport.resumeCalls());
    }

    // ---------------------------------------------------------------- packetOut

    @Test
    void packetOutSeesEachSentPacket() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, "a".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.CONTROL, ByteBuffer.wrap("xbcx".getBytes(StandardCharsets.UTF_8), 1, 2));
        ch.write(PacketType.DATA, "0123456".getBytes(StandardCharsets.UTF_8), 2, 3);
        ch.close();
        assertEquals(List.of("out 1 DATA a", "out 1 CONTROL bc", "out 1 DATA 234"), h.service.events("out"),
                "DATA and CONTROL are observed; the CLOSE is the stream's, not the application's");
        List<Frame> f = h.peer.frames();
        assertEquals(List.of("a", "bc", "234"), f.subList(0, 3).stream().map(Frame::text).toList());
    }

    @Test
    void aPacketOutObserverThatMovesTheBufferDoesNotCorruptTheFrame() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onPacketOut = (c, t, d) -> {
            d.get(new byte[d.remaining()]); // reads it all
            d.limit(d.position());
        };
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, "abc".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.DATA, "defg".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("abc", "defg"), h.peer.frames().stream().map(Frame::text).toList());
    }

    @Test
    void aPacketOutObserverMustNotWrite() {
        StreamHarness h = StreamHarness.activeAcceptor();
        List<RuntimeException> refused = new ArrayList<>();
        h.service.onPacketOut = (c, t, d) -> {
            try {
                c.write(PacketType.DATA, new byte[] {1});
            } catch (IllegalStateException e) {
                refused.add(e);
            }
        };
        Channel ch = h.peerOpens(1);
        assertTrue(ch.write(PacketType.DATA, "only".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, refused.size());
        assertEquals("packetOut observers must not write", refused.get(0).getMessage());
        Frame f = h.peer.only(PacketType.DATA, 1);
        assertEquals("only", f.text());
        assertEquals(0, f.seq());
        assertTrue(ch.active());
        // Writing after the observer returned is fine again.
        h.service.onPacketOut = (c, t, d) -> { };
        ch.write(PacketType.DATA, "next".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, h.peer.only(PacketType.DATA, 1).seq());
    }

    /**
     * Regression test (fixed): a packetOut observer that throws (for instance because it tried to write and let the
     * IllegalStateException escape) makes the stream send the HANDLER_FAILED ERROR from inside
     * sendFrame, between transport.claim() and transport.commit() of the packet being observed:
     * the nested claim reuses the same region, so the ERROR overwrites the DATA frame and the
     * outer commit then commits the wrong length. The peer receives garbage.
     */
    @Test
    void aThrowingPacketOutObserverLosesItsChannelCleanly() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onPacketOut = (c, t, d) -> c.write(PacketType.DATA, new byte[] {1}); // throws
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, "observed".getBytes(StandardCharsets.UTF_8));
        List<Frame> f = h.peer.frames();
        assertEquals(2, f.size(), f::toString);
        assertTrue(f.get(0).is(PacketType.DATA, 1));
        assertEquals("observed", f.get(0).text());
        assertEquals(0, f.get(0).seq());
        assertTrue(f.get(1).is(PacketType.ERROR, 1));
        assertEquals(1, f.get(1).seq());
        assertEquals(ErrorCode.HANDLER_FAILED, f.get(1).errorCode());
        h.assertTransportUsedCorrectly();
    }

    /**
     * Closing the channel (or the stream) from packetOut is deferred to a task of its own,
     * so the CLOSE never lands inside the frame being observed.
     */
    @Test
    void aPacketOutObserverMayCloseItsChannel() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onPacketOut = (c, t, d) -> {
            if (text(d).equals("last")) {
                c.close();
            }
        };
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, "first".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.DATA, "last".getBytes(StandardCharsets.UTF_8));
        assertTrue(h.peer.history().stream().noneMatch(x -> x.type() == PacketType.CLOSE),
                "the close waits for a task of its own");
        h.transport.runPending();
        List<Frame> f = h.peer.frames();
        assertEquals(List.of("DATA 1 0 first", "DATA 1 1 last", "CLOSE 1 2 "),
                f.stream().map(x -> x.type() + " " + x.ch() + " " + x.seq() + " " + (x.type() == PacketType.DATA ? x.text() : ""))
                        .toList());
        h.assertTransportUsedCorrectly();
    }

    // ---------------------------------------------------------------- handler and attachment

    @Test
    void aReplacedHandlerGetsTheNextPacket() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.peer.data(1, "to first");
        RecordingHandler second = new RecordingHandler();
        assertSame(ch, ch.handler(second));
        assertSame(second, ch.handler());
        h.peer.data(1, "to second");
        assertEquals(List.of("in 1 DATA to first"), h.service.events("in"));
        assertEquals(List.of("in 1 DATA to second"), second.events("in"));
    }

    @Test
    void attachmentIsPerChannel() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onOpened = c -> c.attach("state of " + c.id());
        h.service.onPacketIn = (c, t, d) -> c.write(PacketType.DATA, ((String) c.attachment()).getBytes(StandardCharsets.UTF_8));
        h.peerOpens(1);
        h.peerOpens(3);
        h.peer.data(3, "?");
        h.peer.data(1, "?");
        assertEquals(List.of("3 state of 3", "1 state of 1"),
                h.peer.frames().stream().map(f -> f.ch() + " " + f.text()).toList());
    }

    @Test
    void aNullHandlerIsANoOpHandler() {
        StreamHarness h = StreamHarness.activeConnector();
        Channel ch = h.openLocally(ChannelType.FILE, null);
        h.peer.data(1, "ignored");
        assertTrue(ch.active());
        assertTrue(h.stream.active());
        h.peer.expectNothing();
    }
}
