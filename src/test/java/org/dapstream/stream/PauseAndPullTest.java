package org.dapstream.stream;

import static org.dapstream.stream.FlowControlTest.FRAME;
import static org.dapstream.stream.FlowControlTest.WINDOW;
import static org.dapstream.stream.FlowControlTest.filled;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a stream holds for a reader that does not read (memory bound), and what happens to
 * messages still queued for sending when their channel or stream ends.
 */
class PauseAndPullTest extends EngineTest {
    static final int MAX_MESSAGE = 2 * 1024 * 1024;

    // ---------------------------------------------------------------- memory bound

    /**
     * A peer that sends as much as its credit allows, in messages of {@code size} bytes, on a
     * pull-mode channel that is never read: what the stream holds never passes one channel
     * window plus one largest message, the peer runs out of credit, and its next byte is a
     * violation.
     */
    @ParameterizedTest(name = "messages of {0} bytes")
    @ValueSource(ints = {FRAME, 200 * 1024, 1024 * 1024 + 1, 1536 * 1024, MAX_MESSAGE})
    void aPeerCannotMakeAnUnreadPullChannelHoldMoreThanItsWindowAndOneMessage(int size) {
        StreamConfig config = StreamHarness.defaults().withFlow(FlowConfig.defaults()
                .withMessageLimits(MAX_MESSAGE, FlowConfig.DEFAULT_MAX_REASSEMBLY_BYTES, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT));
        StreamHarness h = StreamHarness.activeAcceptor(config);
        h.service.pullMode();
        h.peerOpens(1);
        long channelCredit = WINDOW;
        long streamCredit = FlowControlTest.STREAM_WINDOW;
        long bound = WINDOW + (size > FRAME ? MAX_MESSAGE : 0);
        int offset = 0;
        int frames = 0;
        while (true) {
            int chunk = Math.min(FRAME, size - offset);
            if (chunk > Math.min(channelCredit, streamCredit)) {
                break;
            }
            assertTrue(++frames < 10_000, "a reader that never reads must stop the peer");
            sendChunk(h, size, offset, chunk);
            channelCredit -= chunk;
            streamCredit -= chunk;
            offset = (offset + chunk) % size;
            for (ControlMessage.WindowUpdate g : FlowControlTest.grants(h.peer.frames())) {
                if (g.channelId() == 0) {
                    streamCredit += g.increment();
                } else {
                    channelCredit += g.increment();
                }
            }
            assertTrue(h.stream.heldBytes() <= bound, h.stream.heldBytes() + " bytes held after frame " + frames + ", bound " + bound);
        }
        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertTrue(h.stream.heldBytes() >= WINDOW - FRAME, "the peer got to fill the window: " + h.stream.heldBytes());
        // One frame more than the credit: the peer's fault, whatever the message shape.
        int over = (int) Math.min(channelCredit, streamCredit) + 1;
        sendChunk(h, size, offset, Math.min(over, size - offset));
        h.peer.expectStreamError(ErrorCode.FLOW_CONTROL_VIOLATION);
    }

    private static void sendChunk(StreamHarness h, int size, int offset, int chunk) {
        if (size <= FRAME) {
            h.peer.data(1, new byte[chunk]);
        } else {
            boolean last = offset + chunk == size;
            h.peer.send(PacketType.DATA, 1, last ? 0 : Flags.FRAGMENTED, Fragments.payload(size, offset, chunk));
        }
    }

    // ---------------------------------------------------------------- queued messages at the end

    /** A channel with its credit spent and three 1000-byte messages queued (send futures). */
    private static List<CompletableFuture<Void>> queueThree(StreamHarness h, Channel ch) {
        FlowControlTest.spendChannelWindow(h, ch);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            sent.add(ch.send(PacketType.DATA, filled(1000, k)));
        }
        h.peer.expectNothing();
        return sent;
    }

    @Test
    void closeWithQueuedMessagesSendsCloseAfterThem() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        List<CompletableFuture<Void>> sent = queueThree(h, ch);
        ch.close();
        h.peer.expectNothing(); // CLOSE waits for what was written before it
        h.peer.control(new ControlMessage.WindowUpdate(1, 2000));
        List<Frame> some = h.peer.frames();
        assertEquals(List.of(PacketType.DATA, PacketType.DATA), some.stream().map(Frame::type).toList());
        h.peer.control(new ControlMessage.WindowUpdate(1, 1000));
        List<Frame> rest = h.peer.frames();
        assertEquals(List.of(PacketType.DATA, PacketType.CLOSE), rest.stream().map(Frame::type).toList());
        assertEquals(List.of(18, 19), rest.stream().map(Frame::seq).toList());
        sent.forEach(f -> assertTrue(f.isDone() && !f.isCompletedExceptionally()));
        assertEquals(0, ch.writesLost());
    }

    @Test
    void theStreamEndingFailsQueuedMessagesAndCountsThem() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        List<CompletableFuture<Void>> sent = queueThree(h, ch);
        ch.write(PacketType.DATA, new byte[500]);
        h.peer.error(0, ErrorCode.INTERNAL_ERROR, "gone");
        assertEquals(StreamState.CLOSED, h.stream.state());
        for (CompletableFuture<Void> f : sent) {
            assertEquals(ErrorCode.INTERNAL_ERROR, assertInstanceOf(StreamException.class, failure(f)).reason().errorCode());
        }
        assertEquals(4, ch.writesLost(), "three sends and a write never went");
        assertEquals(0, ch.queuedBytes());
    }

    @Test
    void nothingQueuedGoesAfterTheStreamsClose() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        List<CompletableFuture<Void>> sent = queueThree(h, ch);
        h.stream.close();
        assertEquals(PacketType.CLOSE, h.peer.only(PacketType.CLOSE, 0).type());
        // A grant the peer sent before it saw our CLOSE: a closing stream sends no more DATA (PROTOCOL.md 16.1).
        h.peer.control(new ControlMessage.WindowUpdate(1, 5000));
        h.stream.onWritable();
        h.transport.runPending();
        h.peer.expectNothing();
        h.peer.send(PacketType.CLOSE, 0, org.dapstream.protocol.CloseReason.of(ErrorCode.NORMAL, "").encode());
        assertEquals(StreamState.CLOSED, h.stream.state());
        sent.forEach(f -> assertInstanceOf(StreamException.class, failure(f)));
        assertEquals(3, ch.writesLost());
    }

    @Test
    void thePeerClosingTheChannelFailsItsQueuedMessages() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        Channel other = h.peerOpens(3);
        List<CompletableFuture<Void>> sent = queueThree(h, ch);
        h.peer.close(1, ErrorCode.NORMAL, "");
        sent.forEach(f -> assertInstanceOf(StreamException.class, failure(f)));
        assertEquals(3, ch.writesLost());
        assertEquals(PacketType.CLOSE, h.peer.only().type(), "the answer to the peer's CLOSE; no queued DATA after it");
        h.peer.control(new ControlMessage.WindowUpdate(1, 5000));
        h.peer.expectNothing();
        assertTrue(other.active());
        assertFalse(ch.active());
    }
}
