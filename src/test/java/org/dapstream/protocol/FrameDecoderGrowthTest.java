package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A split frame's buffer grows with the bytes that arrived, not with what the header
 * announces: a 12-byte header saying 64 KiB must not make the decoder allocate 64 KiB.
 */
class FrameDecoderGrowthTest {
    private static final int LIMIT = FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;

    @Test
    void aHeaderAnnouncingTheLimitCostsTheMinimumBufferNotTheAnnouncedSize() throws ProtocolException {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        byte[] header = FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[0]);
        FrameHeader.write(header, 0, LIMIT, PacketType.DATA, 0, 1, 0);
        List<byte[]> frames = new ArrayList<>();
        decoder.feed(ByteBuffer.wrap(header), (t, s, c, f, p) -> frames.add(new byte[p.remaining()]));
        assertTrue(decoder.hasPartialFrame());
        assertEquals(0, decoder.gatherCapacity(), "the header alone allocates nothing");
        for (int i = 0; i < 5; i++) {
            decoder.feed(ByteBuffer.wrap(new byte[] {(byte) i}), (t, s, c, f, p) -> frames.add(new byte[p.remaining()]));
        }
        assertEquals(FrameDecoder.MIN_GATHER_BUFFER, decoder.gatherCapacity(), "header + 5 bytes of a " + LIMIT + "-byte frame");
        assertEquals(List.of(), frames);
    }

    @Test
    void theBufferStaysWithinTwiceTheBytesReceivedAndTheFrameArrivesWhole() throws ProtocolException {
        byte[] payload = new byte[LIMIT];
        new Random(7).nextBytes(payload);
        byte[] frame = FrameHeader.frame(PacketType.DATA, 3, 5, 0, payload);
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        List<byte[]> got = new ArrayList<>();
        int at = 0;
        int chunk = 1000;
        while (at < frame.length) {
            int n = Math.min(chunk, frame.length - at);
            decoder.feed(ByteBuffer.wrap(frame, at, n), (t, s, c, f, p) -> {
                byte[] copy = new byte[p.remaining()];
                p.get(copy);
                got.add(copy);
            });
            at += n;
            int received = Math.max(0, at - FrameHeader.SIZE);
            if (got.isEmpty()) {
                assertTrue(decoder.gatherCapacity() <= Math.max(FrameDecoder.MIN_GATHER_BUFFER, 2 * received),
                        "after " + received + " payload bytes the buffer holds " + decoder.gatherCapacity());
            }
        }
        assertEquals(1, got.size());
        assertArrayEquals(payload, got.get(0));
        assertEquals(LIMIT, decoder.gatherCapacity(), "never beyond the frame's size");
    }

    @Test
    void aWholeFrameInOneReadIsNotCopied() throws ProtocolException {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        byte[] frame = FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[LIMIT]);
        decoder.feed(ByteBuffer.wrap(frame), (t, s, c, f, p) -> assertTrue(p.hasArray() && p.array() == frame, "a view of the input"));
        assertEquals(0, decoder.gatherCapacity(), "the fast path gathers nothing");
    }
}
