package org.dapstream.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@link WriteBatch} against a {@link BatchTarget} with no connection: what it writes, when, and in how many writes. */
class WriteBatchTest {
    /** A target that keeps each write's bytes and runs "end of turn" tasks when the test says the turn is over. */
    private static final class Target implements BatchTarget {
        final List<byte[]> writes = new ArrayList<>();
        final List<Integer> allocations = new ArrayList<>();
        final List<ByteBuf> handedOver = new ArrayList<>();
        final ArrayDeque<Runnable> afterTurn = new ArrayDeque<>();
        boolean full;
        long outbound;

        @Override
        public ByteBuf allocate(int capacity) {
            allocations.add(capacity);
            return Unpooled.directBuffer(capacity);
        }

        @Override
        public Future<Void> write(ByteBuf batch) {
            byte[] bytes = new byte[batch.readableBytes()];
            batch.getBytes(batch.readerIndex(), bytes);
            writes.add(bytes);
            handedOver.add(batch);
            batch.release(); // as the connection does once written
            return Future.succeededFuture();
        }

        @Override
        public boolean writeQueueFull() {
            return full;
        }

        @Override
        public long queuedBytes() {
            return outbound;
        }

        @Override
        public void afterTurn(Runnable task) {
            afterTurn.add(task);
        }

        /** The event loop's turn is over: run what waited for it. */
        void endTurn() {
            Runnable t;
            while ((t = afterTurn.poll()) != null) {
                t.run();
            }
        }
    }

    private final Target target = new Target();
    private final WriteBatch batch = new WriteBatch(target);

    /** Claims room for {@code bytes}, writes them (value {@code fill}) and commits, as a frame writer does. */
    private void frame(int bytes, int fill) {
        ByteBuf out = batch.claim(bytes);
        for (int i = 0; i < bytes; i++) {
            out.writeByte(fill);
        }
        batch.committed();
    }

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void theFramesOfOneTurnLeaveInOneWriteAtItsEnd() {
        frame(100, 1);
        frame(200, 2);
        frame(300, 3);
        assertTrue(target.writes.isEmpty(), "nothing written before the turn is over");
        assertEquals(1, target.afterTurn.size(), "one flush scheduled for the turn, not one per frame");
        assertEquals(List.of(WriteBatch.MIN_BATCH), target.allocations, "one buffer, at least the minimum batch");
        target.endTurn();
        assertEquals(1, target.writes.size());
        byte[] expected = new byte[600];
        System.arraycopy(bytes(100, 1), 0, expected, 0, 100);
        System.arraycopy(bytes(200, 2), 0, expected, 100, 200);
        System.arraycopy(bytes(300, 3), 0, expected, 300, 300);
        assertArrayEquals(expected, target.writes.get(0), "in order, whole");
        assertTrue(target.handedOver.get(0).isDirect(), "a direct buffer handed over as it is: no copy");

        frame(10, 4);
        target.endTurn();
        assertEquals(2, target.writes.size(), "the next turn's frames are a batch of their own");
        assertArrayEquals(bytes(10, 4), target.writes.get(1));
        assertEquals(2, target.allocations.size(), "a fresh buffer: the written one belongs to the connection");
    }

    @Test
    void aBatchReachingTheThresholdIsWrittenAtOnce() {
        int frame = WriteBatch.FLUSH_THRESHOLD / 4;
        for (int i = 0; i < 3; i++) {
            frame(frame, i);
        }
        assertTrue(target.writes.isEmpty(), "below the threshold: waits for the end of the turn");
        frame(frame, 3);
        assertEquals(1, target.writes.size(), "at the threshold: written in the same turn");
        assertEquals(WriteBatch.FLUSH_THRESHOLD, target.writes.get(0).length);
        frame(7, 9);
        target.endTurn();
        assertEquals(2, target.writes.size(), "what followed leaves at the end of the turn");
        assertArrayEquals(bytes(7, 9), target.writes.get(1));
        target.endTurn();
        assertEquals(2, target.writes.size(), "an empty batch is never written");
    }

    @Test
    void aFrameLargerThanTheMinimumBatchGetsRoomForItself() {
        frame(WriteBatch.MIN_BATCH * 3, 5);
        assertEquals(List.of(WriteBatch.MIN_BATCH * 3), target.allocations);
        target.endTurn();
        assertEquals(WriteBatch.MIN_BATCH * 3, target.writes.get(0).length);
    }

    @Test
    void queuedBytesAreTheBatchPlusTheConnectionsOutboundQueue() {
        assertEquals(0, batch.queuedBytes());
        target.outbound = 1_000;
        assertEquals(1_000, batch.queuedBytes());
        frame(300, 1);
        assertEquals(1_300, batch.queuedBytes());
        target.endTurn();
        target.outbound += 300; // the connection now queues what was handed over
        assertEquals(1_300, batch.queuedBytes(), "handed over: counted once, by the connection");
        target.full = true;
        assertTrue(batch.writeQueueFull(), "back-pressure is the connection's own");
        target.full = false;
        assertFalse(batch.writeQueueFull());
    }

    @Test
    void closingWritesWhatIsPendingOnceAndDiscardingDropsIt() {
        frame(50, 1);
        assertTrue(batch.flushAndClose().succeeded());
        assertEquals(1, target.writes.size());
        assertArrayEquals(bytes(50, 1), target.writes.get(0));
        target.endTurn();
        assertEquals(1, target.writes.size(), "the scheduled flush finds nothing more");

        WriteBatch other = new WriteBatch(target);
        ByteBuf out = other.claim(20);
        out.writeZero(20);
        other.committed();
        other.discard();
        assertEquals(0, out.refCnt(), "the connection is gone: the batch is released, not written");
        target.endTurn();
        assertEquals(1, target.writes.size());
    }
}
