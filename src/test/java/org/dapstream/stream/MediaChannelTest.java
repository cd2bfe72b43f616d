package org.dapstream.stream;

import static org.dapstream.stream.FlowControlTest.FRAME;
import static org.dapstream.stream.FlowControlTest.filled;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** MEDIA channels: freshness over completeness, so a full send queue drops its oldest messages. */
class MediaChannelTest extends EngineTest {

    private static StreamHarness withSendBuffer(int bytes) {
        return StreamHarness.activeAcceptor(StreamHarness.defaults().withFlow(FlowConfig.defaults().withChannelSendBuffer(bytes).withCompression(false)));
    }

    /** A MEDIA channel the stream opened (id 2) with {@code left} bytes of channel credit. */
    private static Channel mediaWithCredit(StreamHarness h, int left) {
        Channel ch = h.openLocally(ChannelType.MEDIA, new RecordingHandler());
        int spend = FlowControlTest.WINDOW - left;
        while (spend > 0) {
            int n = Math.min(FRAME, spend);
            assertTrue(ch.write(PacketType.DATA, new byte[n]));
            spend -= n;
        }
        h.peer.frames();
        assertEquals(left, ch.sendCredit());
        return ch;
    }

    @Test
    void aFullQueueDropsTheOldestAndFailsTheirFutures() {
        StreamHarness h = withSendBuffer(4096);
        Channel ch = mediaWithCredit(h, 0);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            sent.add(ch.send(PacketType.DATA, filled(1000, k)));
        }
        assertTrue(ch.write(PacketType.DATA, filled(1000, 10)), "MEDIA write never reports its own full queue");
        assertEquals(7, ch.mediaDropped(), "4 of 1000 bytes fit in 4096: the 7 oldest made room");
        assertEquals(7, h.counters.mediaDroppedMessages());
        assertEquals(4000, ch.queuedBytes());
        for (int k = 0; k < 7; k++) {
            StreamException e = assertInstanceOf(StreamException.class, failure(sent.get(k)));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.reason().errorCode());
        }
        for (int k = 7; k < 10; k++) {
            assertFalse(sent.get(k).isDone());
        }
        h.peer.control(new ControlMessage.WindowUpdate(ch.id(), 4000));
        List<Frame> frames = h.peer.frames();
        assertEquals(List.of(16, 17, 18, 19), frames.stream().map(Frame::seq).toList());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(filled(1000, 7 + i), frames.get(i).payload(), "the freshest four, in order");
        }
        for (int k = 7; k < 10; k++) {
            assertTrue(sent.get(k).isDone() && !sent.get(k).isCompletedExceptionally());
        }
    }

    @Test
    void aHalfSentMessageIsNeverDropped() {
        StreamHarness h = withSendBuffer(128 * 1024);
        Channel ch = mediaWithCredit(h, FRAME);
        byte[] big = Fragments.random(100 * 1024, 21);
        CompletableFuture<Void> bigSent = ch.send(PacketType.DATA, big);
        List<Frame> frames = new ArrayList<>(h.peer.frames());
        assertEquals(1, frames.size(), "its first fragment went; the peer is reassembling it");
        CompletableFuture<Void> a = ch.send(PacketType.DATA, filled(40 * 1024, 'a'));
        CompletableFuture<Void> b = ch.send(PacketType.DATA, filled(40 * 1024, 'b'));
        CompletableFuture<Void> c = ch.send(PacketType.DATA, filled(40 * 1024, 'c'));
        assertEquals(1, ch.mediaDropped());
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, assertInstanceOf(StreamException.class, failure(a)).reason().errorCode(),
                "the oldest message not begun went, not the half-sent one before it");
        assertFalse(bigSent.isDone());

        h.peer.control(new ControlMessage.WindowUpdate(ch.id(), 1 << 20));
        frames.addAll(h.peer.frames());
        List<byte[]> messages = Fragments.reassemble(frames);
        assertEquals(3, messages.size());
        assertArrayEquals(big, messages.get(0));
        assertArrayEquals(filled(40 * 1024, 'b'), messages.get(1));
        assertArrayEquals(filled(40 * 1024, 'c'), messages.get(2));
        assertTrue(bigSent.isDone() && b.isDone() && c.isDone());
    }

    @Test
    void otherChannelTypesNeverDrop() {
        StreamHarness h = withSendBuffer(4096);
        Channel ch = h.peerOpens(1);
        FlowControlTest.spendChannelWindow(h, ch);
        int refused = 0;
        for (int k = 0; k < 10; k++) {
            if (!ch.write(PacketType.DATA, filled(1000, k))) {
                refused++;
            }
        }
        assertEquals(10, refused, "back-pressure instead of loss: with the window used up every write is told to wait");
        assertEquals(10_000, ch.queuedBytes());
        assertEquals(0, ch.mediaDropped());
        h.peer.control(new ControlMessage.WindowUpdate(1, 10_000));
        assertEquals(10, h.peer.frames().size());
    }
}
