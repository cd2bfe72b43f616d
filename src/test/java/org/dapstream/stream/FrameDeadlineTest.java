package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/**
 * The frame deadline, with the manual clock: a frame dripped a byte at a time keeps the read
 * side from going silent, and still ends the stream with TRUNCATED_FRAME once the frame has
 * been in part for the frame timeout; frames that complete, and a reader that paused itself,
 * never trip it. Also the count of connections lost mid-frame.
 */
class FrameDeadlineTest extends EngineTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private static byte[] announcing(int payload) {
        byte[] frame = FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[payload]);
        return java.util.Arrays.copyOf(frame, FrameHeader.SIZE);
    }

    @Test
    void aDrippedFrameEndsWithTruncatedFrameAtTheDeadlineNotBefore() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamConfig.defaults().withFrameTimeout(TIMEOUT));
        h.peerOpens(1);
        h.peer.frames();
        h.peer.feed(announcing(60 * 1024));
        long start = h.clock.elapsedMillis();
        while (h.stream.active() && h.clock.elapsedMillis() - start < 10_000) {
            h.advanceMillis(500); // a byte every 500 ms: never silent for the 3 s keepalive timeout
            if (h.stream.active()) {
                h.peer.feed(new byte[] {1});
            }
        }
        long took = h.clock.elapsedMillis() - start;
        h.peer.expectStreamError(ErrorCode.TRUNCATED_FRAME);
        assertTrue(took >= TIMEOUT.toMillis() && took <= TIMEOUT.toMillis() + 750,
                "ended " + took + " ms after the header; the deadline is " + TIMEOUT.toMillis() + " ms plus at most two ticks");
        assertEquals(1, h.counters.errorsSent(ErrorCode.TRUNCATED_FRAME));
        assertEquals(1, h.counters.truncatedFrames());
        assertEquals(0, h.counters.keepAliveTimeouts());
    }

    @Test
    void steadyFramesAndAPausedReaderNeverTripIt() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamConfig.defaults().withFrameTimeout(TIMEOUT));
        h.peerOpens(1);
        // Frames that each take 1.5 s to arrive, back to back, for 9 s: every one within the deadline.
        int seq = 0;
        for (int i = 0; i < 6; i++) {
            byte[] frame = FrameHeader.frame(PacketType.DATA, seq++, 1, 0, new byte[4]);
            h.peer.feed(java.util.Arrays.copyOf(frame, 10));
            h.advanceMillis(750);
            h.peer.feed(java.util.Arrays.copyOfRange(frame, 10, 14));
            h.advanceMillis(750);
            h.peer.feed(java.util.Arrays.copyOfRange(frame, 14, frame.length));
        }
        assertTrue(h.stream.active(), "frames completing within the deadline keep the stream");
        // Our own pause: the peer cannot finish a frame we do not read, so the clock stops.
        byte[] last = FrameHeader.frame(PacketType.DATA, seq, 1, 0, new byte[100]);
        h.peer.feed(java.util.Arrays.copyOf(last, 20));
        h.stream.reading.pause();
        h.advanceMillis(2750); // past the frame deadline, inside the 3 s keepalive timeout
        assertTrue(h.stream.active(), "no frame deadline while reading is paused");
        h.stream.reading.resume();
        h.peer.feed(java.util.Arrays.copyOfRange(last, 20, last.length));
        h.advanceMillis(1000);
        assertTrue(h.stream.active());
        assertEquals(0, h.counters.truncatedFrames());
    }

    @Test
    void aConnectionLostMidFrameCountsAsLostAndTruncated() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.feed(new byte[] {5, 0, 0});
        h.stream.onTransportClosed();
        assertEquals(1, h.counters.connectionsLost());
        assertEquals(1, h.counters.truncatedFrames());
        StreamHarness clean = StreamHarness.activeAcceptor();
        clean.stream.onTransportClosed();
        assertEquals(1, clean.counters.connectionsLost());
        assertEquals(0, clean.counters.truncatedFrames(), "nothing was half received");
    }
}
