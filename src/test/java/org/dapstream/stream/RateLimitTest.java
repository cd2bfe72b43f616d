package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * Send rate limits: token buckets holding 100 ms of the rate (at least one largest frame);
 * frames wait for their tokens on transport timers and are never dropped or reordered.
 */
class RateLimitTest extends EngineTest {
    /** What a bucket of bytes holds at most: 100 ms of the rate, at least one largest frame. */
    private static long burst(long bytesPerSecond) {
        return Math.max(FrameHeader.SIZE + FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD, bytesPerSecond / 10);
    }

    private static StreamConfig rates(RateLimit stream, RateLimit channel) {
        return StreamHarness.defaults().withFlow(FlowConfig.defaults().withRates(stream, channel));
    }

    /** Writes {@code count} messages of {@code size} bytes (byte i of message k is k) on each channel. */
    private static void write(Channel ch, int count, int size) {
        for (int k = 0; k < count; k++) {
            ch.write(PacketType.DATA, FlowControlTest.filled(size, k));
        }
    }

    @Test
    void framesLeaveNoFasterThanTheStreamBucketAllowsNoneDroppedInOrder() {
        long rate = 100_000;
        StreamHarness h = StreamHarness.activeAcceptor(rates(new RateLimit(rate, 0), RateLimit.NONE));
        Channel ch = h.peerOpens(1);
        int size = 10_000;
        write(ch, 20, size);
        List<Frame> arrived = new ArrayList<>(h.peer.frames());
        long wire = arrived.stream().mapToLong(Frame::wireSize).sum();
        assertEquals(6, arrived.size(), "a full bucket (one largest frame, 65804 bytes) lets six 10 KB frames go at once");
        long doneAt = -1;
        for (long ms = 1; ms <= 3000 && doneAt < 0; ms++) {
            h.advanceMillis(1);
            for (Frame f : h.peer.frames()) {
                arrived.add(f);
                wire += f.wireSize();
            }
            assertTrue(wire <= burst(rate) + rate * ms / 1000,
                    wire + " bytes on the wire after " + ms + " ms, more than the bucket allows");
            if (arrived.size() == 20) {
                doneAt = ms;
            }
        }
        // 20 frames of 10012 bytes, 65804 of them at once: the rest takes 1.344 s at 100 kB/s.
        assertTrue(doneAt >= 1344 && doneAt <= 1360, "all sent after " + doneAt + " ms");
        for (int k = 0; k < 20; k++) {
            assertEquals(k, arrived.get(k).seq());
            assertArrayEquals(FlowControlTest.filled(size, k), arrived.get(k).payload());
        }
        assertEquals(0, ch.queuedBytes());
    }

    @Test
    void aFrameRateSpacesFramesEvenly() {
        StreamHarness h = StreamHarness.activeAcceptor(rates(new RateLimit(0, 10), RateLimit.NONE));
        Channel ch = h.peerOpens(1);
        write(ch, 5, 10);
        List<Long> sentAt = new ArrayList<>();
        h.peer.frames().forEach(f -> sentAt.add(0L));
        for (long ms = 1; ms <= 1000; ms++) {
            h.advanceMillis(1);
            long at = ms;
            h.peer.frames().forEach(f -> sentAt.add(at));
        }
        assertEquals(List.of(0L, 100L, 200L, 300L, 400L), sentAt, "10 frames/s, a bucket of one frame");
    }

    @Test
    void eachChannelHasItsOwnBucketAndSharesTheStreamOne() {
        long rate = 200_000;
        StreamHarness h = StreamHarness.activeAcceptor(rates(RateLimit.NONE, new RateLimit(rate, 0)));
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        write(one, 40, 10_000);
        write(three, 40, 10_000);
        long[] wire = new long[4];
        for (long ms = 1; ms <= 1000; ms++) {
            h.advanceMillis(1);
            for (Frame f : h.peer.frames()) {
                wire[f.ch()] += f.wireSize();
            }
            for (int c : new int[] {1, 3}) {
                assertTrue(wire[c] <= burst(rate) + rate * ms / 1000, "channel " + c + " at " + ms + " ms: " + wire[c]);
            }
        }
        // Each channel gets its own rate: both near 65804 + 200 kB after a second, not half of it.
        for (int c : new int[] {1, 3}) {
            assertTrue(wire[c] >= burst(rate) + rate - 10_012, "channel " + c + " sent only " + wire[c]);
        }
    }
}
