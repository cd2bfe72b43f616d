package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes {@link FrameDecoder} with arbitrary bytes cut into arbitrary reads
 * ({@link SplitInput}). Three decodings are compared: a plain reference model of the wire
 * format written here from PROTOCOL.md, the decoder fed the whole input at once, and the
 * decoder fed the fuzzer's reads. All three must agree on the frames and on the error code,
 * and the decoder must keep its own promises: only {@link ProtocolException}, payload views
 * inside the read they came from, never a gather buffer past the limit, nothing after a failure.
 *
 * <p>Option bits of the input ({@link SplitInput#options()}): bits 0-1 pick the payload limit
 * ({@link #LIMITS}), bit 2 makes the sink move the payload's position and limit (allowed by
 * {@link FrameSink}), bit 3 copies each read into its own array with guard bytes around it.
 */
class FrameDecoderFuzzTest {
    /** Payload limits the fuzzer picks from: the default, none at all, and two small ones that make FRAME_TOO_LARGE cheap to reach. */
    static final int[] LIMITS = {FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD, 0, 13, 4096};
    private static final int GUARD = 7;

    @FuzzTest
    void frameDecoder(byte[] input) {
        SplitInput split = SplitInput.parse(input);
        int limit = LIMITS[split.options() & 0b11];
        boolean sinkMoves = (split.options() & 0b100) != 0;
        boolean copyReads = (split.options() & 0b1000) != 0;

        Decoding expected = referenceDecode(split.stream(), limit);
        Decoding whole = decode(split.stream(), List.of(new SplitInput.Read(0, split.stream().length, 0)), limit, false, false);
        Decoding chunked = decode(split.stream(), split.reads(), limit, sinkMoves, copyReads);

        assertEquals(expected, whole, "whole input against the reference model");
        assertEquals(expected, chunked, () -> "reads " + split.reads() + " against the reference model");
    }

    /** What a decoding produced: the frames, the error code that ended it (null: none), whether a frame was left half-received. */
    record Decoding(List<DecodedFrame> frames, ErrorCode error, boolean partial) {
    }

    record DecodedFrame(PacketType type, int seq, int channel, int flags, byte[] payload) {
        @Override
        public boolean equals(Object o) {
            return o instanceof DecodedFrame f && type == f.type && seq == f.seq && channel == f.channel && flags == f.flags
                    && Arrays.equals(payload, f.payload);
        }

        @Override
        public int hashCode() {
            return ((type.hashCode() * 31 + seq) * 31 + channel) * 31 + flags + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return type + " ch=" + channel + " seq=" + seq + " flags=" + flags + " size=" + payload.length;
        }
    }

    /** The wire format read the obvious way, straight from PROTOCOL.md: the oracle. */
    static Decoding referenceDecode(byte[] s, int limit) {
        List<DecodedFrame> frames = new ArrayList<>();
        int at = 0;
        while (at < s.length) {
            if (s.length - at < FrameHeader.SIZE) {
                return new Decoding(frames, null, true);
            }
            long size = u8(s, at) | u8(s, at + 1) << 8 | u8(s, at + 2) << 16 | (long) u8(s, at + 3) << 24;
            int typeCode = u8(s, at + 4);
            int seq = u8(s, at + 5) | u8(s, at + 6) << 8 | u8(s, at + 7) << 16 | u8(s, at + 8) << 24;
            int channel = u8(s, at + 9) | u8(s, at + 10) << 8;
            int flags = u8(s, at + 11);
            if (size > limit) {
                return new Decoding(frames, ErrorCode.FRAME_TOO_LARGE, false);
            }
            if (typeCode < 1 || typeCode > 5) {
                return new Decoding(frames, ErrorCode.UNKNOWN_PACKET_TYPE, false);
            }
            if ((flags & ~0b111) != 0) {
                return new Decoding(frames, ErrorCode.RESERVED_FLAGS, false);
            }
            int payloadAt = at + FrameHeader.SIZE;
            if (s.length - payloadAt < size) {
                return new Decoding(frames, null, true);
            }
            PacketType type = PacketType.values()[typeCode - 1];
            frames.add(new DecodedFrame(type, seq, channel, flags, Arrays.copyOfRange(s, payloadAt, payloadAt + (int) size)));
            at = payloadAt + (int) size;
        }
        return new Decoding(frames, null, false);
    }

    private static int u8(byte[] s, int i) {
        return s[i] & 0xFF;
    }

    /** Feeds {@code reads} of {@code stream} to a new decoder, checking its promises on the way. */
    static Decoding decode(byte[] stream, List<SplitInput.Read> reads, int limit, boolean sinkMoves, boolean copyReads) {
        FrameDecoder decoder = new FrameDecoder(limit);
        List<DecodedFrame> frames = new ArrayList<>();
        ErrorCode error = null;
        for (SplitInput.Read read : reads) {
            byte[] array = stream;
            int offset = read.from();
            if (copyReads) {
                array = new byte[read.length() + 2 * GUARD];
                Arrays.fill(array, (byte) 0x5A);
                System.arraycopy(stream, read.from(), array, GUARD, read.length());
                offset = GUARD;
            }
            ByteBuffer in = ByteBuffer.wrap(array, offset, read.length());
            ReadSink sink = new ReadSink(array, offset, offset + read.length(), limit, sinkMoves, frames);
            boolean failedBefore = decoder.failed();
            try {
                decoder.feed(in, sink);
            } catch (ProtocolException e) {
                assertFalse(failedBefore, "a failed decoder throws nothing more");
                error = e.code();
                assertTrue(decoder.failed(), "an error fails the decoder");
            }
            assertFalse(in.hasRemaining(), "feed consumes the whole read, or fails and skips it");
            if (failedBefore) {
                assertEquals(0, sink.delivered, "a failed decoder delivers nothing");
            }
        }
        assertEquals(frames.size(), decoder.framesDecoded(), "framesDecoded counts what the sink got");
        if (error != null) {
            assertFalse(decoder.hasPartialFrame(), "a failed decoder holds no partial frame");
            // The input after the error is ignored: feeding more changes nothing.
            ReadSink after = new ReadSink(stream, 0, stream.length, limit, false, new ArrayList<>());
            ByteBuffer more = ByteBuffer.wrap(stream);
            try {
                decoder.feed(more, after);
            } catch (ProtocolException e) {
                throw new AssertionError("a failed decoder threw again: " + e, e);
            }
            assertEquals(0, after.delivered, "a failed decoder delivers nothing");
            assertFalse(more.hasRemaining(), "a failed decoder still consumes its input");
        }
        return new Decoding(frames, error, decoder.hasPartialFrame());
    }

    /** Checks every payload the decoder lends, copies it, and (optionally) moves its position and limit. */
    private static final class ReadSink implements FrameSink {
        private final byte[] readArray;
        private final int readFrom;
        private final int readTo;
        private final int limit;
        private final boolean moves;
        private final List<DecodedFrame> frames;
        int delivered;

        ReadSink(byte[] readArray, int readFrom, int readTo, int limit, boolean moves, List<DecodedFrame> frames) {
            this.readArray = readArray;
            this.readFrom = readFrom;
            this.readTo = readTo;
            this.limit = limit;
            this.moves = moves;
            this.frames = frames;
        }

        @Override
        public void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer payload) {
            delivered++;
            assertTrue(type != null, "type");
            assertTrue(channelId >= 0 && channelId <= FrameHeader.MAX_CHANNEL_ID, () -> "channel id " + channelId);
            assertEquals(0, flags & ~Flags.DEFINED, "reserved flags delivered");
            assertTrue(payload.remaining() <= limit, () -> "payload of " + payload.remaining() + " over the limit " + limit);
            assertTrue(payload.hasArray(), "heap in, heap out");
            if (payload.array() == readArray) {
                int base = payload.arrayOffset();
                assertTrue(base + payload.position() >= readFrom && base + payload.limit() <= readTo,
                        () -> "in-place payload [" + (base + payload.position()) + ", " + (base + payload.limit())
                                + ") outside the read [" + readFrom + ", " + readTo + ")");
            } else {
                assertTrue(payload.array().length <= limit,
                        () -> "gather buffer of " + payload.array().length + " bytes past the limit " + limit);
            }
            byte[] copy = new byte[payload.remaining()];
            payload.duplicate().get(copy);
            frames.add(new DecodedFrame(type, seqId, channelId, flags, copy));
            if (moves) {
                payload.position(payload.limit());
                payload.limit(payload.position());
            }
        }
    }

    /** Regression for the layout itself: a seed's cuts land where SplitInput.encode put them. */
    @org.junit.jupiter.api.Test
    void splitInputReadsBackItsEncoding() {
        byte[] stream = new byte[40];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = (byte) i;
        }
        SplitInput s = SplitInput.parse(SplitInput.encode(0b1010, stream, new int[] {30, 3, 3}, new int[] {9, 7, 8}));
        assertEquals(0b1010, s.options());
        assertArrayEquals(stream, s.stream());
        assertEquals(List.of(new SplitInput.Read(0, 3, 0), new SplitInput.Read(3, 3, 7), new SplitInput.Read(3, 30, 8),
                new SplitInput.Read(30, 40, 9)), s.reads());
        assertEquals(0, SplitInput.parse(new byte[0]).stream().length);
    }
}
