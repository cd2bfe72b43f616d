package org.dapstream.stream;

import static org.dapstream.stream.FlowControlTest.FRAME;
import static org.dapstream.stream.FlowControlTest.filled;
import static org.dapstream.stream.Futures.done;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@link SendScheduler} driven directly on a real stream: messages go into its queues with
 * {@code enqueue} (no write fast path), and the frames the fake connection received show the
 * order it chose. While the connection's queue is "full" nothing goes, so several channels
 * can be given queued messages before one {@code pump}.
 */
class SendSchedulerTest extends EngineTest {
    private static final int KIB = 1024;

    private static StreamHarness harness(FlowConfig flow) {
        return StreamHarness.activeAcceptor(StreamHarness.defaults().withFlow(flow.withCompression(false)));
    }

    private static StreamHarness harness() {
        return harness(FlowConfig.defaults());
    }

    /** A message whose bytes are all {@code tag}, with a future that says when it went. */
    private static OutboundMessage message(int length, char tag) {
        return new OutboundMessage(PacketType.DATA, filled(length, tag), length, new CompletableFuture<>());
    }

    /** Queues the messages while the connection takes nothing, so none leaves before {@link #release}. */
    private static void queueWhileFull(StreamHarness h, Channel ch, OutboundMessage... messages) {
        h.transport.writeQueueFull = true;
        for (OutboundMessage m : messages) {
            h.stream.scheduler.enqueue(ch, m);
        }
        h.peer.expectNothing();
    }

    /** The connection takes frames again and the scheduler runs. */
    private static void release(StreamHarness h) {
        h.transport.writeQueueFull = false;
        h.stream.scheduler.pump();
    }

    /**
     * Each frame as its channel and the tag of its message ("1a"). The tag is read from the
     * last byte, so a fragment (whose payload starts with the fragment header) shows it too.
     */
    private static List<String> order(List<Frame> frames) {
        List<String> out = new ArrayList<>();
        for (Frame f : frames) {
            out.add(f.ch() + "" + (char) f.payload()[f.payload().length - 1]);
        }
        return out;
    }

    @Test
    void queuedMessagesGoRoundRobinOneFramePerChannelPerTurn() {
        StreamHarness h = harness();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        Channel five = h.peerOpens(5);
        queueWhileFull(h, one, message(1000, 'a'), message(1000, 'b'), message(1000, 'c'));
        queueWhileFull(h, three, message(1000, 'x'));
        queueWhileFull(h, five, message(1000, 'p'), message(1000, 'q'));
        assertEquals(3000, one.queuedBytes());

        release(h);
        assertEquals(List.of("1a", "3x", "5p", "1b", "5q", "1c"), order(h.peer.frames()));
        assertEquals(0, one.queuedBytes());
        assertEquals(0, five.queuedBytes());
        assertEquals(3, one.sendSeq(), "each channel numbers its own frames");
        assertEquals(1, three.sendSeq());
    }

    @Test
    void aFullConnectionStopsThePumpAndTheNextPumpGoesOnInTurn() {
        StreamHarness h = harness();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        queueWhileFull(h, one, message(100, 'a'), message(100, 'b'), message(100, 'c'));
        queueWhileFull(h, three, message(100, 'x'), message(100, 'y'));
        int[] commits = {0};
        h.transport.onCommit = frame -> {
            if (++commits[0] == 3) {
                h.transport.writeQueueFull = true; // the connection's queue fills after the third frame
            }
        };
        release(h);
        assertEquals(List.of("1a", "3x", "1b"), order(h.peer.frames()));
        h.transport.onCommit = null;
        release(h);
        assertEquals(List.of("3y", "1c"), order(h.peer.frames()), "the turn goes on where it stopped");
    }

    @Test
    void aChannelOutOfCreditStallsWhileTheOthersGoOnAndResumesOnResume() throws ProtocolException {
        StreamHarness h = harness();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        one.send.credit = 1500;
        long stallsBefore = h.counters.flowControlStalls();
        OutboundMessage a = message(1000, 'a');
        OutboundMessage b = message(1000, 'b');
        queueWhileFull(h, one, a, b);
        queueWhileFull(h, three, message(1000, 'x'), message(1000, 'y'));

        release(h);
        assertEquals(List.of("1a", "3x", "3y"), order(h.peer.frames()), "b does not fit in the 500 bytes left; channel 3 goes on");
        assertTrue(one.send.stalled);
        assertFalse(one.queue.inRing, "a stalled channel leaves the round robin");
        assertEquals(stallsBefore + 1, h.counters.flowControlStalls());
        assertEquals(500, one.sendCredit());
        assertEquals(1000, one.queuedBytes());
        done(a.sent);
        assertFalse(b.sent.isDone());

        h.stream.scheduler.enqueue(one, message(10, 'c'));
        h.peer.expectNothing(); // a stalled channel waits for its grant, even for a message that would fit
        assertEquals(stallsBefore + 1, h.counters.flowControlStalls(), "a stalled channel is not retried");

        assertTrue(one.send.grant(1500, "channel 1's window"), "the grant ends the stall");
        h.stream.scheduler.resume(one);
        assertEquals(List.of("1b", "1c"), order(h.peer.frames()));
        done(b.sent);
        assertEquals(990, one.sendCredit());
        assertFalse(one.send.stalled);
    }

    @Test
    void theStreamOutOfCreditStopsTheWholeRingAndKeepsItsOrder() throws ProtocolException {
        StreamHarness h = harness();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        Channel five = h.peerOpens(5);
        Channel seven = h.peerOpens(7);
        h.stream.flow.send.credit = 2500;
        queueWhileFull(h, one, message(1000, 'a'), message(1000, 'b'));
        queueWhileFull(h, three, message(1000, 'x'), message(1000, 'y'));
        queueWhileFull(h, five, message(1000, 'p'), message(1000, 'q'));

        release(h);
        assertEquals(List.of("1a", "3x"), order(h.peer.frames()), "5p does not fit in the stream's 500 bytes left");
        assertTrue(h.stream.flow.send.stalled);
        assertFalse(five.send.stalled, "the channel had credit: the stream is what waits");
        assertEquals(500, h.stream.sendCredit());

        h.stream.scheduler.enqueue(seven, message(10, 's'));
        h.peer.expectNothing(); // the whole ring waits, even for a message the 500 bytes would carry

        assertTrue(h.stream.flow.send.grant(10_000, "the stream window"));
        h.stream.scheduler.pump();
        assertEquals(List.of("5p", "1b", "3y", "7s", "5q"), order(h.peer.frames()), "channel 5 keeps the turn it had");
        assertEquals(0, one.queuedBytes() + three.queuedBytes() + five.queuedBytes() + seven.queuedBytes());
        assertEquals(2500 + 10_000 - 6010, h.stream.sendCredit());
    }

    @Test
    void aFullMediaQueueDropsItsOldestMessagesAndFailsTheirFutures() {
        StreamHarness h = harness(FlowConfig.defaults().withChannelSendBuffer(4096));
        Channel media = h.openLocally(ChannelType.MEDIA, new RecordingHandler());
        List<OutboundMessage> sent = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            sent.add(message(1000, (char) ('a' + k)));
        }
        queueWhileFull(h, media, sent.toArray(new OutboundMessage[0]));
        assertEquals(2, media.mediaDropped(), "four 1000-byte messages fit in 4096: the 5th and 6th each pushed one out");
        assertEquals(2, h.counters.mediaDroppedMessages());
        assertEquals(4000, media.queuedBytes());
        for (int k = 0; k < 2; k++) {
            StreamException e = assertInstanceOf(StreamException.class, failure(sent.get(k).sent));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.reason().errorCode());
            assertTrue(e.reason().reason().contains("dropped from the full MEDIA queue"), e.reason().reason());
        }

        release(h);
        assertEquals(List.of("2c", "2d", "2e", "2f"), order(h.peer.frames()), "the freshest four, in order");
        for (int k = 2; k < 6; k++) {
            done(sent.get(k).sent);
        }
    }

    @Test
    void aMediaQueueNeverDropsAMessageItHasBegun() throws ProtocolException {
        StreamHarness h = harness(FlowConfig.defaults().withChannelSendBuffer(128 * KIB));
        Channel media = h.openLocally(ChannelType.MEDIA, new RecordingHandler());
        media.send.credit = FRAME; // the first fragment only
        byte[] big = Fragments.random(100 * KIB, 5);
        OutboundMessage begun = new OutboundMessage(PacketType.DATA, big, big.length, new CompletableFuture<>());
        h.stream.scheduler.enqueue(media, begun);
        List<Frame> frames = new ArrayList<>(h.peer.frames());
        assertEquals(1, frames.size(), "its first fragment went");
        assertTrue(media.send.stalled);

        OutboundMessage a = message(40 * KIB, 'a');
        OutboundMessage b = message(40 * KIB, 'b');
        OutboundMessage c = message(40 * KIB, 'c');
        h.stream.scheduler.enqueue(media, a);
        h.stream.scheduler.enqueue(media, b);
        h.stream.scheduler.enqueue(media, c);
        assertEquals(1, media.mediaDropped());
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, assertInstanceOf(StreamException.class, failure(a.sent)).reason().errorCode(),
                "the oldest message not begun went, not the half-sent one ahead of it");
        assertFalse(begun.sent.isDone());

        assertTrue(media.send.grant(1 << 20, "channel 2's window"));
        h.stream.scheduler.resume(media);
        frames.addAll(h.peer.frames());
        List<byte[]> messages = Fragments.reassemble(frames);
        assertEquals(3, messages.size());
        assertArrayEquals(big, messages.get(0));
        assertArrayEquals(filled(40 * KIB, 'b'), messages.get(1));
        assertArrayEquals(filled(40 * KIB, 'c'), messages.get(2));
        done(begun.sent);
    }

    @Test
    void otherChannelTypesQueuePastTheSendBufferWithoutDropping() {
        StreamHarness h = harness(FlowConfig.defaults().withChannelSendBuffer(4096));
        Channel ch = h.peerOpens(1);
        List<OutboundMessage> sent = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            sent.add(message(1000, (char) ('a' + k)));
        }
        queueWhileFull(h, ch, sent.toArray(new OutboundMessage[0]));
        assertEquals(0, ch.mediaDropped());
        assertEquals(6000, ch.queuedBytes());
        release(h);
        assertEquals(List.of("1a", "1b", "1c", "1d", "1e", "1f"), order(h.peer.frames()));
    }

    @Test
    void failQueuedFailsEveryQueuedFutureAndReportsTheBytesNotSent() {
        StreamHarness h = harness();
        Channel ch = h.peerOpens(1);
        List<String> lost = new ArrayList<>();
        ch.handler(new RecordingHandler() {
            @Override
            public void writesLost(Channel channel, long messages, long bytes) {
                lost.add(channel.id() + ": " + messages + " messages, " + bytes + " bytes");
            }
        });
        ch.send.credit = FRAME;
        OutboundMessage begun = new OutboundMessage(PacketType.DATA, new byte[100 * KIB], 100 * KIB, new CompletableFuture<>());
        OutboundMessage a = message(1000, 'a');
        OutboundMessage b = message(2000, 'b');
        h.stream.scheduler.enqueue(ch, begun);
        h.stream.scheduler.enqueue(ch, a);
        h.stream.scheduler.enqueue(ch, b);
        assertEquals(1, h.peer.frames().size(), "the big message's first fragment went; the rest waits for credit");
        long unsent = 100 * KIB - FRAME + 3000;
        assertEquals(unsent, ch.queuedBytes());

        CloseReason reason = CloseReason.of(ErrorCode.CHANNEL_CLOSED, "peer went");
        h.stream.scheduler.failQueued(ch, reason);
        for (OutboundMessage m : List.of(begun, a, b)) {
            assertEquals(reason, assertInstanceOf(StreamException.class, failure(m.sent)).reason());
        }
        assertTrue(ch.queue.isEmpty());
        assertEquals(0, ch.queuedBytes());
        assertEquals(List.of("1: 3 messages, " + unsent + " bytes"), lost);
        assertEquals(3, ch.writesLost());
        assertEquals(unsent, ch.writesLostBytes());

        h.stream.scheduler.failQueued(ch, reason);
        assertEquals(1, lost.size(), "nothing queued: nothing more to report");
        assertEquals(3, ch.writesLost());
    }

    @Test
    void aMessageOverOneFrameGoesAsFragmentsInterleavedWithAnotherChannelsFrames() {
        StreamHarness h = harness();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        byte[] big = filled(200 * KIB, 'B');
        OutboundMessage large = new OutboundMessage(PacketType.DATA, big, big.length, new CompletableFuture<>());
        queueWhileFull(h, one, large);
        queueWhileFull(h, three, message(1000, 'x'), message(1000, 'y'), message(1000, 'z'));

        release(h);
        List<Frame> frames = h.peer.frames();
        assertEquals(List.of("1B", "3x", "1B", "3y", "1B", "3z", "1B"), order(frames),
                "another channel's message waits at most one fragment");
        List<Frame> fragments = frames.stream().filter(f -> f.ch() == 1).toList();
        assertEquals(List.of(Flags.FRAGMENTED, Flags.FRAGMENTED, Flags.FRAGMENTED, 0), fragments.stream().map(Frame::flags).toList());
        assertArrayEquals(big, Fragments.reassemble(fragments).get(0));
        for (Frame f : frames.stream().filter(f -> f.ch() == 3).toList()) {
            assertEquals(0, f.flags());
            assertEquals(1000, f.payload().length, "a one-frame message carries no fragment header");
        }
        done(large.sent);
        assertEquals(FlowControlTest.WINDOW - 200 * KIB, one.sendCredit(), "credit counts message bytes, not fragment headers");
    }
}
