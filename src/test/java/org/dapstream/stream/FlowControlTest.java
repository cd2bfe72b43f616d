package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Credit-based flow control (docs/PROTOCOL.md, "Flow control"): what a writer may send before
 * the peer grants more, and when the stream grants its peer more. Violations are in
 * {@link FlowViolationTest}.
 */
class FlowControlTest extends EngineTest {
    static final int FRAME = OutboundMessage.FRAGMENT_DATA;
    static final int WINDOW = FlowWindow.INITIAL_CHANNEL_WINDOW;
    static final int STREAM_WINDOW = FlowWindow.INITIAL_STREAM_WINDOW;

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** The local side writes a whole channel window in 64 KiB messages; all of it leaves at once. */
    static void spendChannelWindow(StreamHarness h, Channel ch) {
        for (int i = 0; i < WINDOW / FRAME; i++) {
            assertTrue(ch.write(PacketType.DATA, new byte[FRAME]));
        }
        assertEquals(WINDOW / FRAME, h.peer.frames().size());
        assertEquals(0, ch.sendCredit());
    }

    /** The peer sends a whole channel window on {@code ch} in 64 KiB messages. */
    static void fillWindow(StreamHarness h, int ch) {
        for (int i = 0; i < WINDOW / FRAME; i++) {
            h.peer.data(ch, new byte[FRAME]);
        }
    }

    static List<ControlMessage.WindowUpdate> grants(List<Frame> frames) {
        return frames.stream().filter(f -> f.is(PacketType.CONTROL, 0)).map(f -> (ControlMessage.WindowUpdate) f.control()).toList();
    }

    // ---------------------------------------------------------------- sending: credit

    @Test
    void aWriterStopsAtExactlyTheChannelWindowAndGoesOnInOrderAfterWindowUpdate() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        Channel ch = h.peerOpens(1);
        spendChannelWindow(h, ch);
        assertEquals(STREAM_WINDOW - WINDOW, h.stream.sendCredit());
        for (int i = 0; i < 3; i++) {
            assertFalse(ch.write(PacketType.DATA, filled(1000, 'a' + i)),
                    "accepted and queued, but the window is used up: the writer is told to wait");
        }
        h.peer.expectNothing();
        assertEquals(3000, ch.queuedBytes());
        assertTrue(h.counters.flowControlStalls() >= 1);

        h.peer.control(new ControlMessage.WindowUpdate(1, 1500));
        Frame first = h.peer.only(PacketType.DATA, 1);
        assertEquals(16, first.seq());
        assertArrayEquals(filled(1000, 'a'), first.payload());
        assertEquals(500, ch.sendCredit(), "the next message (1000 bytes) does not fit in 500: it waits whole");
        assertEquals(2000, ch.queuedBytes());

        h.peer.control(new ControlMessage.WindowUpdate(1, 10_000));
        List<Frame> rest = h.peer.frames();
        assertEquals(List.of(17, 18), rest.stream().map(Frame::seq).toList());
        assertArrayEquals(filled(1000, 'b'), rest.get(0).payload());
        assertArrayEquals(filled(1000, 'c'), rest.get(1).payload());
        assertEquals(8500, ch.sendCredit());
        assertEquals(0, ch.queuedBytes());
    }

    @Test
    void writersStopAtTheStreamWindowAcrossChannels() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        for (int id = 1; id <= 7; id += 2) {
            spendChannelWindow(h, h.peerOpens(id));
        }
        assertEquals(0, h.stream.sendCredit(), "four channel windows are the 4 MiB stream window");
        Channel nine = h.peerOpens(9);
        Channel eleven = h.peerOpens(11);
        nine.write(PacketType.DATA, filled(1000, 'x'));
        eleven.write(PacketType.DATA, filled(1000, 'y'));
        h.peer.expectNothing();
        assertEquals(WINDOW, nine.sendCredit(), "the channel has credit; the stream has none");

        h.peer.control(new ControlMessage.WindowUpdate(0, 1500));
        Frame f = h.peer.only(PacketType.DATA, 9);
        assertEquals(0, f.seq());
        assertEquals(500, h.stream.sendCredit());
        h.peer.control(new ControlMessage.WindowUpdate(0, 500));
        assertEquals(0, h.peer.only(PacketType.DATA, 11).seq(), "exactly enough for the second message");
        assertEquals(0, h.stream.sendCredit());
    }

    @Test
    void aChannelWithoutCreditDoesNotHoldUpTheOthers() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        spendChannelWindow(h, one);
        one.write(PacketType.DATA, filled(10, '1'));
        three.write(PacketType.DATA, filled(10, '3'));
        assertEquals("3333333333", h.peer.only(PacketType.DATA, 3).text());
        h.peer.control(new ControlMessage.WindowUpdate(1, 10));
        assertEquals("1111111111", h.peer.only(PacketType.DATA, 1).text());
    }

    @Test
    void sendFuturesCompleteWhenTheirLastFrameWent() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        Channel ch = h.peerOpens(1);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < WINDOW / FRAME + 2; i++) {
            sent.add(ch.send(PacketType.DATA, new byte[FRAME]));
        }
        for (int i = 0; i < WINDOW / FRAME; i++) {
            done(sent.get(i));
        }
        assertFalse(sent.get(16).isDone(), "no credit for it");
        assertFalse(sent.get(17).isDone());
        h.peer.frames();
        h.peer.control(new ControlMessage.WindowUpdate(1, FRAME));
        done(sent.get(16));
        assertFalse(sent.get(17).isDone());
        h.peer.control(new ControlMessage.WindowUpdate(1, FRAME));
        done(sent.get(17));
        assertEquals(List.of(16, 17), h.peer.frames().stream().map(Frame::seq).toList());
    }

    @Test
    void readyToWriteAndWhenWritableFollowTheCredit() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        Channel ch = h.peerOpens(1);
        spendChannelWindow(h, ch);
        assertFalse(ch.write(PacketType.DATA, new byte[FRAME]), "no credit: queued, and the writer is told to wait at once");
        assertEquals(FRAME, ch.queuedBytes());
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone(), "nothing moves before the peer's WINDOW_UPDATE");
        // A writer that ignores the answer is not refused: every message is kept, in order.
        for (int i = 0; i < 20; i++) {
            assertFalse(ch.write(PacketType.DATA, new byte[FRAME]));
        }
        assertEquals(21L * FRAME, ch.queuedBytes());

        h.peer.control(new ControlMessage.WindowUpdate(1, 8L * FRAME));
        assertEquals(8, h.peer.frames().size());
        assertEquals(13L * FRAME, ch.queuedBytes());
        assertEquals(0, h.service.readyToWrite, "still out of credit with 13 frames queued");
        assertFalse(writable.isDone());

        h.peer.control(new ControlMessage.WindowUpdate(1, 14L * FRAME));
        assertEquals(13, h.peer.frames().size());
        assertEquals(0, ch.queuedBytes());
        assertEquals(1, h.service.readyToWrite, "the queue went and credit is left: the writer hears it");
        done(writable);
        assertTrue(ch.write(PacketType.DATA, new byte[FRAME]), "and writes straight out again");
    }

    // ---------------------------------------------------------------- receiving: grants

    @Test
    void aPushChannelGrantsExactlyWhenHalfAWindowWasConsumed() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.peerOpens(1);
        // 64 frames: 4 MiB, four channel windows and one stream window; the channel's grant goes first.
        for (int i = 1; i <= STREAM_WINDOW / FRAME; i++) {
            h.peer.data(1, new byte[FRAME]);
            List<ControlMessage.WindowUpdate> expected = new ArrayList<>();
            if (i % 8 == 0) {
                expected.add(new ControlMessage.WindowUpdate(1, WINDOW / 2));
            }
            if (i % 32 == 0) {
                expected.add(new ControlMessage.WindowUpdate(0, STREAM_WINDOW / 2));
            }
            assertEquals(expected, grants(h.peer.frames()), "after frame " + i);
        }
        assertEquals(4 * WINDOW / FRAME, h.service.events("in").size());
    }

    @Test
    void theStreamGrantSumsAllChannels() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.peerOpens(1);
        h.peerOpens(3);
        for (int i = 0; i < WINDOW / FRAME; i++) {
            h.peer.data(1, new byte[FRAME]);
            h.peer.data(3, new byte[FRAME]);
        }
        List<ControlMessage.WindowUpdate> g = grants(h.peer.frames());
        assertEquals(5, g.size(), g::toString);
        assertEquals(new ControlMessage.WindowUpdate(0, STREAM_WINDOW / 2), g.get(4), "2 MiB over two channels: one stream grant, last");
    }

    @Test
    void aPausedChannelGrantsNothingUntilResumed() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        Channel ch = h.peerOpens(1);
        ch.pause();
        fillWindow(h, 1);
        h.peer.expectNothing();
        assertEquals(List.of(), h.service.events("in"));
        assertEquals(WINDOW, h.stream.heldBytes());

        ch.resume();
        assertEquals(WINDOW / FRAME, h.service.events("in").size(), "held packets are delivered in order");
        assertEquals(List.of(new ControlMessage.WindowUpdate(1, WINDOW / 2), new ControlMessage.WindowUpdate(1, WINDOW / 2)),
                grants(h.peer.frames()));
        assertEquals(0, h.stream.heldBytes());
    }

    @Test
    void anUnreadPullChannelGrantsNothingAndReadingGrantsIt() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        fillWindow(h, 1);
        h.peer.expectNothing();
        for (int i = 0; i < 3; i++) {
            ch.read();
        }
        h.peer.expectNothing(); // 192 KiB read: under the quarter-window batch
        ch.read();
        h.peer.expectNothing(); // 256 KiB batch credited: still under half a window
        for (int i = 0; i < 4; i++) {
            ch.read();
        }
        assertEquals(List.of(new ControlMessage.WindowUpdate(1, WINDOW / 2)), grants(h.peer.frames()));
    }

    @Test
    void aReassembledMessageInAPullBufferWithholdsItsCreditUntilRead() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.service.pullMode();
        Channel ch = h.peerOpens(1);
        int size = 10 * FRAME; // 640 KiB
        byte[] a = Fragments.random(size, 1);
        byte[] b = Fragments.random(size, 2);
        Fragments.send(h.peer, 1, a, FRAME);
        assertEquals(List.of(new ControlMessage.WindowUpdate(1, WINDOW / 2)), grants(h.peer.frames()),
                "fragments are credited as reassembly takes them, so a message larger than the window completes");
        assertEquals(size, ch.bufferedBytes());
        Fragments.send(h.peer, 1, b, FRAME);
        h.peer.expectNothing(); // the unread first message took its credit back: no grant during the second
        assertEquals(2L * size, h.stream.heldBytes());

        assertArrayEquals(a, ch.read().data());
        h.peer.expectNothing();
        assertArrayEquals(b, ch.read().data());
        assertEquals(List.of(new ControlMessage.WindowUpdate(1, 12L * FRAME)), grants(h.peer.frames()),
                "with the buffer empty, everything not yet granted is");
        // The peer sent 1280 KiB and was granted 512 + 768: exactly one window again, not a byte more.
        fillWindow(h, 1);
        assertEquals(StreamState.ACTIVE, h.stream.state());
        h.peer.data(1, new byte[1]);
        h.peer.expectStreamError(ErrorCode.FLOW_CONTROL_VIOLATION);
    }

    @Test
    void aWindowUpdateForAChannelNotInTheTableIsIgnored() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.peer.control(new ControlMessage.WindowUpdate(41, 100));
        h.peerOpens(1);
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.frames();
        h.peer.control(new ControlMessage.WindowUpdate(1, 100));
        h.peer.expectNothing();
        assertEquals(StreamState.ACTIVE, h.stream.state());
    }

    @Test
    void aWindowUpdateBeforeSetupIsStreamNotReady() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.control(new ControlMessage.WindowUpdate(0, 100));
        assertEquals("WINDOW_UPDATE before the stream setup completed",
                h.peer.expectStreamError(ErrorCode.STREAM_NOT_READY).reason().reason());
    }

    @Test
    void largerConfiguredWindowsAreGrantedAtOnce() {
        StreamConfig big = StreamHarness.defaults().withFlow(FlowConfig.defaults().withWindows(3 * WINDOW, 2 * STREAM_WINDOW));
        StreamHarness h = StreamHarness.acceptor(big);
        h.peer.hello();
        List<Frame> setup = h.peer.frames();
        assertEquals(2, setup.size(), setup::toString);
        assertTrue(setup.get(0).control() instanceof ControlMessage.Welcome);
        assertEquals(new ControlMessage.WindowUpdate(0, STREAM_WINDOW), setup.get(1).control(), "right after WELCOME");
        h.peer.open(1, StreamHarness.APP);
        List<Frame> open = h.peer.frames();
        assertEquals(List.of(new ControlMessage.OpenAck(1), new ControlMessage.WindowUpdate(1, 2L * WINDOW)),
                open.stream().map(Frame::control).toList(), "right after OPEN_ACK");

        StreamHarness connector = StreamHarness.connector(big);
        connector.peer.handshakeAsAcceptor(StreamHarness.PEER_SESSION, 3000);
        assertEquals(new ControlMessage.WindowUpdate(0, STREAM_WINDOW), connector.peer.only().control(), "on receipt of WELCOME");
        connector.stream.openChannel(StreamHarness.APP, null);
        List<Frame> opening = connector.peer.frames();
        assertEquals(new ControlMessage.WindowUpdate(1, 2L * WINDOW), opening.get(1).control(), "right after OPEN_CHANNEL");
    }

    @Test
    void theDefaultWindowsNeedNoExtraFrame() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.hello();
        assertTrue(h.peer.only().control() instanceof ControlMessage.Welcome);
        h.peer.open(1, StreamHarness.APP);
        assertEquals(new ControlMessage.OpenAck(1), h.peer.only().control());
    }
}
