package org.dapstream.stream;

import static org.dapstream.stream.FlowControlTest.FRAME;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Messages larger than one frame: how the engine cuts them, and how it puts a peer's back together. */
class FragmentationTest extends EngineTest {
    static final int KIB = 1024;

    @Test
    void aTwoHundredKibMessageLeavesAsFourFragments() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        byte[] message = Fragments.random(200 * KIB, 7);
        CompletableFuture<Void> sent = ch.send(PacketType.DATA, message);
        List<Frame> frames = h.peer.frames();
        assertEquals(4, frames.size(), frames::toString);
        for (int i = 0; i < 4; i++) {
            Frame f = frames.get(i);
            assertEquals(i, f.seq());
            assertEquals(i < 3 ? Flags.FRAGMENTED : 0, f.flags(), "FRAGMENTED on every frame but the last");
            java.nio.ByteBuffer p = java.nio.ByteBuffer.wrap(f.payload()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertEquals(200 * KIB, p.getInt(0), "total");
            assertEquals(i * FRAME, p.getInt(4), "offset");
            assertEquals(FragmentHeader.SIZE + (i < 3 ? FRAME : 8 * KIB), f.payload().length, "the last one keeps its header too");
        }
        assertArrayEquals(message, Fragments.reassemble(frames).get(0));
        assertTrue(sent.isDone() && !sent.isCompletedExceptionally());
        assertEquals(1024 * KIB - 200 * KIB, ch.sendCredit(), "credit counts message bytes, not fragment headers");
    }

    @Test
    void aFiveMibMessageGoesAsTheWindowAllowsAndArrivesWhole() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        byte[] message = Fragments.random(5 * 1024 * KIB, 11);
        CompletableFuture<Void> sent = ch.send(PacketType.DATA, message);
        List<Frame> all = new ArrayList<>();
        int rounds = 0;
        while (!sent.isDone() && rounds++ < 100) {
            List<Frame> frames = h.peer.frames();
            assertTrue(frames.size() <= 16, "never more than a channel window (16 fragments) without a grant");
            all.addAll(frames);
            long data = frames.stream().mapToLong(f -> f.payload().length - FragmentHeader.SIZE).sum();
            h.peer.control(new ControlMessage.WindowUpdate(1, data));
            h.peer.control(new ControlMessage.WindowUpdate(0, data));
        }
        all.addAll(h.peer.frames());
        assertTrue(sent.isDone() && !sent.isCompletedExceptionally());
        assertEquals(80, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, all.get(i).seq());
        }
        assertArrayEquals(message, Fragments.reassemble(all).get(0));
    }

    @Test
    void twoHundredKibAndFiveMibFromThePeerArriveWholeAndByteIdentical() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        byte[] small = Fragments.random(200 * KIB, 3);
        byte[] large = Fragments.random(5 * 1024 * KIB, 4);
        // A push channel consumes as it goes: its grants keep the peer within the window throughout.
        Fragments.send(h.peer, 1, small, FRAME);
        Fragments.send(h.peer, 1, large, FRAME);
        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertEquals(2, h.service.payloads.size());
        assertArrayEquals(small, h.service.payloads.get(0));
        assertArrayEquals(large, h.service.payloads.get(1));
        assertEquals(0, h.stream.heldBytes(), "nothing left in reassembly");
    }

    @Test
    void twoChannelsInterleaveOneFramePerTurn() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        h.transport.writeQueueFull = true; // queue both whole before the pump runs
        byte[] a = Fragments.random(200 * KIB, 5);
        byte[] b = Fragments.random(200 * KIB, 6);
        one.write(PacketType.DATA, a);
        three.write(PacketType.DATA, b);
        byte[] small = "small".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        three.write(PacketType.DATA, small);
        h.peer.expectNothing();
        h.transport.writeQueueFull = false;
        h.stream.onWritable();
        h.transport.runPending();
        List<Frame> frames = h.peer.frames();
        assertEquals(List.of(1, 3, 1, 3, 1, 3, 1, 3, 3), frames.stream().map(Frame::ch).toList(),
                "one frame per channel per turn; a large message delays another channel's by one frame at most");
        assertArrayEquals(a, Fragments.reassemble(frames.stream().filter(f -> f.ch() == 1).toList()).get(0));
        List<byte[]> onThree = Fragments.reassemble(frames.stream().filter(f -> f.ch() == 3).toList());
        assertArrayEquals(b, onThree.get(0));
        assertArrayEquals(small, onThree.get(1));
    }

    @Test
    void aMessageSplitAtEveryByteBoundaryArrivesTheSame() {
        // Small fragments (any size is legal on the wire), so every boundary of five whole fragments is tried.
        byte[] message = Fragments.random(200, 9);
        StreamHarness template = StreamHarness.activeAcceptor();
        template.peerOpens(1);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int at = 0, seq = 0; at < message.length; at += 40, seq++) {
            boolean last = at + 40 >= message.length;
            wire.writeBytes(org.dapstream.protocol.FrameHeader.frame(PacketType.DATA, seq, 1, last ? 0 : Flags.FRAGMENTED,
                    Fragments.payload(message.length, at, java.util.Arrays.copyOfRange(message, at, at + 40))));
        }
        byte[] bytes = wire.toByteArray();
        for (int split = 1; split < bytes.length; split++) {
            StreamHarness h = StreamHarness.activeAcceptor();
            h.peerOpens(1);
            h.peer.feed(java.util.Arrays.copyOfRange(bytes, 0, split));
            h.peer.feed(java.util.Arrays.copyOfRange(bytes, split, bytes.length));
            assertEquals(1, h.service.payloads.size(), "split at " + split);
            assertArrayEquals(message, h.service.payloads.get(0), "split at " + split);
        }
        for (int chunk : new int[] {1, 2, 3, 7, 13, 59}) {
            StreamHarness h = StreamHarness.activeAcceptor();
            h.peerOpens(1);
            h.peer.chunk = chunk;
            h.peer.feed(bytes);
            assertArrayEquals(message, h.service.payloads.get(0), "chunk " + chunk);
        }
    }

    @Test
    void engineMadeFragmentsFedAByteAtATimeArriveTheSame() {
        StreamHarness sender = StreamHarness.activeAcceptor();
        Channel out = sender.peerOpens(1);
        byte[] message = Fragments.random(3 * FRAME + 5, 13);
        out.write(PacketType.DATA, message);
        List<Frame> frames = sender.peer.frames();
        assertEquals(4, frames.size());
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.chunk = 1;
        for (Frame f : frames) {
            h.peer.send(f.type(), 1, f.flags(), f.payload());
        }
        assertArrayEquals(message, h.service.payloads.get(0));
    }
}
