package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Channel.write: back-pressure, state checks, limits, and writes from other threads. */
class StreamWriteTest extends EngineTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWriteBecomesOneFrame() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        assertTrue(ch.write(PacketType.DATA, bytes("payload")));
        Frame f = h.peer.only(PacketType.DATA, 1);
        assertEquals(0, f.seq());
        assertEquals(0, f.flags());
        assertEquals("payload", f.text());
    }

    @Test
    void writeReportsAFullQueueAndReadyToWriteFollowsOnWritable() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        Channel other = h.peerOpens(3);
        h.transport.writeQueueFull = true;
        assertFalse(ch.write(PacketType.DATA, bytes("queued anyway")), "back-pressure");
        assertEquals("queued anyway", h.peer.only(PacketType.DATA, 1).text(), "an accepted packet is never dropped");
        assertEquals(0, h.service.readyToWrite);

        h.transport.writeQueueFull = false;
        h.stream.onWritable();
        assertEquals(0, h.service.readyToWrite, "woken in a task of its own, never inside the caller");
        h.transport.runPending();
        assertEquals(List.of("readyToWrite 1"), h.service.events("readyToWrite"),
                "only the channel that was told to wait hears it");
        h.stream.onWritable();
        h.transport.runPending();
        assertEquals(1, h.service.readyToWrite, "once per blocked write");
        assertTrue(other.active());
    }

    @Test
    void whenWritableCompletesOnceTheQueueDrains() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        assertTrue(ch.whenWritable().isDone(), "writable now");
        h.transport.writeQueueFull = true;
        CompletableFuture<Void> w = ch.whenWritable();
        assertFalse(w.isDone());
        h.transport.writeQueueFull = false;
        h.stream.onWritable();
        h.transport.runPending();
        assertTrue(w.isDone());
    }

    @Test
    void whenWritableFailsWhenTheStreamEnds() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.transport.writeQueueFull = true;
        CompletableFuture<Void> w = ch.whenWritable();
        h.peer.error(0, ErrorCode.GOING_AWAY, "");
        assertTrue(w.isCompletedExceptionally());
    }

    @Test
    void writingToAClosingOrClosedChannelThrows() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.close();
        IllegalStateException closing = assertThrows(IllegalStateException.class, () -> ch.write(PacketType.DATA, bytes("x")));
        assertTrue(closing.getMessage().startsWith("cannot write to channel 1"), closing.getMessage());
        h.peer.close(1, ErrorCode.NORMAL, "");
        assertThrows(IllegalStateException.class, () -> ch.write(PacketType.DATA, bytes("x")));
        h.peer.only(PacketType.CLOSE, 1);
    }

    @Test
    void writingWhileTheStreamClosesThrows() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.stream.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ch.write(PacketType.DATA, bytes("x")));
        assertTrue(e.getMessage().endsWith("(stream closing)"), e.getMessage());
    }

    @Test
    void aWriteFromAnotherThreadCopiesThePayload() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        byte[] mine = bytes("original");
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.DATA, mine));
        Arrays.fill(mine, (byte) '!'); // the caller reuses its array at once
        h.peer.expectNothing();
        assertEquals(1, h.transport.pendingTasks(), "the write hops onto the loop");
        h.transport.runPending();
        assertEquals("original", h.peer.only(PacketType.DATA, 1).text());
    }

    @Test
    void aByteBufferWriteFromAnotherThreadCopiesItsRemainingBytes() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ByteBuffer buf = ByteBuffer.wrap(bytes("..original.."), 2, 8);
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.CONTROL, buf));
        buf.clear();
        buf.put(bytes("overwritten!"));
        h.transport.runPending();
        Frame f = h.peer.only(PacketType.CONTROL, 1);
        assertEquals("original", f.text());
    }

    @Test
    void anArraySliceIsWritten() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, bytes("0123456789"), 3, 4);
        assertEquals("3456", h.peer.only().text());
        assertThrows(IndexOutOfBoundsException.class, () -> ch.write(PacketType.DATA, new byte[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> ch.write(PacketType.DATA, new byte[4], -1, 1));
        h.peer.expectNothing();
    }

    @Test
    void dataUpToMaxMessageSizeIsLegalAndControlStaysWithinOneFrame() {
        int max = 256 * 1024;
        StreamConfig config = StreamHarness.defaults().withFlow(FlowConfig.defaults()
                .withMessageLimits(max, FlowConfig.DEFAULT_MAX_REASSEMBLY_BYTES, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT));
        StreamHarness h = StreamHarness.activeAcceptor(config);
        Channel ch = h.peerOpens(1);
        assertTrue(ch.write(PacketType.DATA, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]));
        assertEquals(FrameLimits.DEFAULT_MESSAGE_PAYLOAD, h.peer.only().payload().length, "64 KiB: one frame, no fragment header");
        assertTrue(ch.write(PacketType.DATA, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD + 1]), "64 KiB + 1 is fragmented");
        List<Frame> fragments = h.peer.frames();
        assertEquals(2, fragments.size(), fragments::toString);
        assertEquals(org.dapstream.protocol.Flags.FRAGMENTED, fragments.get(0).flags());
        assertEquals(0, fragments.get(1).flags());
        assertTrue(ch.write(PacketType.DATA, new byte[max]), "maxMessageSize itself is legal");
        assertEquals(4, h.peer.frames().size());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ch.write(PacketType.DATA, new byte[max + 1]));
        assertEquals("DATA message of 262145 bytes exceeds this stream's maxMessageSize of 262144 bytes", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ch.write(PacketType.DATA, ByteBuffer.allocate(max + 1)));
        assertThrows(IllegalArgumentException.class, () -> ch.send(PacketType.DATA, new byte[max + 1]));
        e = assertThrows(IllegalArgumentException.class,
                () -> ch.write(PacketType.CONTROL, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD + 1]));
        assertEquals("CONTROL packet of 65537 bytes exceeds the 65536-byte frame payload (CONTROL is never fragmented)", e.getMessage());
        h.transport.inLoop = false;
        assertThrows(IllegalArgumentException.class, () -> ch.write(PacketType.DATA, new byte[max + 1]), "off the loop too");
        h.transport.inLoop = true;
        assertEquals(0, h.transport.pendingTasks());
        h.peer.expectNothing();
    }

    @Test
    void aLargeWriteToAClosedChannelIsAStateErrorNotASizeError() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ch.write(PacketType.DATA, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD + 1]));
        assertTrue(e.getMessage().startsWith("cannot write to channel 1"), e.getMessage());
    }

    @Test
    void applicationsWriteOnlyDataOrControl() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        for (PacketType t : List.of(PacketType.KEEPALIVE, PacketType.CLOSE, PacketType.ERROR)) {
            assertThrows(IllegalArgumentException.class, () -> ch.write(t, new byte[2]), t::toString);
        }
        h.peer.expectNothing();
    }

    @Test
    void offLoopWritesPastTheHighWaterMarkReturnFalse() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.config(1024, 1024));
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.DATA, new byte[600]), "600 queued of 1024");
        assertFalse(ch.write(PacketType.DATA, new byte[600]), "1200 queued: over the mark");
        assertFalse(ch.write(PacketType.DATA, new byte[10]), "still over");
        h.transport.runPending();
        List<Frame> f = h.peer.frames();
        assertEquals(List.of(600, 600, 10), f.stream().map(x -> x.payload().length).toList(), "nothing is dropped");
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.DATA, new byte[600]), "drained: room again");
        h.transport.runPending();
    }

    /**
     * Regression test (fixed): an off-loop write that returns false queues the task that marks the channel blocked
     * after the tasks that send the queued packets; those sends find the channel not yet marked
     * and so never call readyToWrite, and nothing later does either. A writer that waits for
     * readyToWrite, as Channel.write's javadoc tells it to, waits for ever.
     */
    @Test
    void readyToWriteFollowsAnOffLoopWriteThatReturnedFalse() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.config(1024, 1024));
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.DATA, new byte[600]));
        assertFalse(ch.write(PacketType.DATA, new byte[600]));
        h.transport.runPending();
        assertEquals(2, h.peer.frames().size());
        assertEquals(1, h.service.readyToWrite, "the writer was told to wait for readyToWrite");
    }

    /** The same ordering, seen through whenWritable: a waiter registered on the loop completes once off-loop writes drain. */
    @Test
    void whenWritableOnTheLoopCompletesOnceOffLoopWritesDrain() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.config(1024, 1024));
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        ch.write(PacketType.DATA, new byte[600]);
        assertFalse(ch.write(PacketType.DATA, new byte[600]));
        h.transport.inLoop = true;
        CompletableFuture<Void> w = ch.whenWritable(); // e.g. from a handler, before the loop ran the writes
        assertFalse(w.isDone());
        h.transport.runPending();
        assertEquals(2, h.peer.frames().size());
        assertTrue(w.isDone(), "1200 queued bytes drained to 0");
    }

    @Test
    void whenWritableWorksForOffLoopWriters() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.config(1024, 1024));
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        ch.write(PacketType.DATA, new byte[600]);
        assertFalse(ch.write(PacketType.DATA, new byte[600]));
        CompletableFuture<Void> w = ch.whenWritable();
        assertFalse(w.isDone());
        h.transport.runPending();
        assertTrue(w.isDone());
    }

    @Test
    void anOffLoopWriteThatFindsTheChannelClosedIsCountedAsLost() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.transport.inLoop = false;
        assertTrue(ch.write(PacketType.DATA, bytes("late")));
        h.transport.inLoop = true;
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.peer.only(PacketType.CLOSE, 1);
        h.transport.runPending();
        h.peer.expectNothing();
        assertEquals(1, ch.writesLost());
    }

    @Test
    void writesFromHandlersOnTheLoopGoOutAtOnce() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.onPacketIn = (c, t, d) -> c.write(t, d); // echo the lent buffer
        h.peerOpens(1);
        h.peer.data(1, "ping");
        h.peer.send(PacketType.CONTROL, 1, bytes("ctl"));
        List<Frame> f = h.peer.frames();
        assertEquals(List.of("DATA ping", "CONTROL ctl"), f.stream().map(x -> x.type() + " " + x.text()).toList());
        assertEquals(0, h.transport.pendingTasks());
    }

    @Test
    void openChannelFromAnotherThreadHopsOntoTheLoop() {
        StreamHarness h = StreamHarness.activeConnector();
        h.transport.inLoop = false;
        CompletableFuture<Channel> f = h.stream.openChannel(ChannelType.FILE, null);
        h.peer.expectNothing();
        h.transport.runPending();
        h.peer.only(PacketType.CONTROL, 0);
        h.peer.ack(1);
        assertEquals(1, done(f).id());
    }
}
