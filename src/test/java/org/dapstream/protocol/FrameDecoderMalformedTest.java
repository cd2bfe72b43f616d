package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;

/**
 * Headers the decoder must refuse as soon as their 12 bytes are in, with the exact error;
 * and what the decoder does afterwards: nothing.
 */
class FrameDecoderMalformedTest {
    private static final int LIMIT = FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;

    /** A valid frame: DATA seq 0 ch 1, payload "abcdefgh". */
    private static final byte[] GOOD = Hex.decode(""
            + "08000000"           // size 8
            + "01"                 // type DATA
            + "00000000"           // seq_id 0
            + "0100"               // ch_id 1
            + "00"                 // flags none
            + "6162636465666768"); // payload
    private static final ReceivedFrame GOOD_FRAME = new ReceivedFrame(PacketType.DATA, 0, 1, 0, "abcdefgh".getBytes());

    static Stream<Arguments> badHeaders() {
        return Stream.of(
                //   name                            size       type  seq_id     ch_id  flags
                row("size limit + 1 (65793)",        "01010100" + "01" + "01000000" + "0100" + "00",
                        ErrorCode.FRAME_TOO_LARGE, "frame size 65793 exceeds the limit of 65792 bytes"),
                row("size 0x80000000",               "00000080" + "01" + "01000000" + "0100" + "00",
                        ErrorCode.FRAME_TOO_LARGE, "frame size 2147483648 exceeds the limit of 65792 bytes"),
                row("size 0xFFFFFFFF (-1 as int)",   "ffffffff" + "01" + "01000000" + "0100" + "00",
                        ErrorCode.FRAME_TOO_LARGE, "frame size 4294967295 exceeds the limit of 65792 bytes"),
                row("type 0x00",                     "04000000" + "00" + "01000000" + "0100" + "00",
                        ErrorCode.UNKNOWN_PACKET_TYPE, "unknown packet type 0x00"),
                row("type 0x06",                     "04000000" + "06" + "01000000" + "0100" + "00",
                        ErrorCode.UNKNOWN_PACKET_TYPE, "unknown packet type 0x06"),
                row("type 0xFF",                     "04000000" + "ff" + "01000000" + "0100" + "00",
                        ErrorCode.UNKNOWN_PACKET_TYPE, "unknown packet type 0xff"),
                row("flags 0x08",                    "04000000" + "01" + "01000000" + "0100" + "08",
                        ErrorCode.RESERVED_FLAGS, "reserved flag bits set in 0x08"),
                row("flags 0x80",                    "04000000" + "01" + "01000000" + "0100" + "80",
                        ErrorCode.RESERVED_FLAGS, "reserved flag bits set in 0x80"),
                row("flags 0x0F (defined + 0x08)",   "04000000" + "01" + "01000000" + "0100" + "0f",
                        ErrorCode.RESERVED_FLAGS, "reserved flag bits set in 0x0f"),
                // order of the checks: size, then type, then flags
                row("size, type and flags all bad",  "ffffffff" + "00" + "01000000" + "0100" + "80",
                        ErrorCode.FRAME_TOO_LARGE, "frame size 4294967295 exceeds the limit of 65792 bytes"),
                row("size and flags bad",            "01010100" + "01" + "01000000" + "0100" + "08",
                        ErrorCode.FRAME_TOO_LARGE, "frame size 65793 exceeds the limit of 65792 bytes"),
                row("type and flags bad",            "04000000" + "06" + "01000000" + "0100" + "ff",
                        ErrorCode.UNKNOWN_PACKET_TYPE, "unknown packet type 0x06"));
    }

    /** Only the 12 header bytes are fed: the error cannot have waited for the payload. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void refusedFromTheHeaderAlone(String name, String header, ErrorCode code, String message) {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        FrameRecorder sink = new FrameRecorder();
        ByteBuffer in = ByteBuffer.wrap(Hex.decode(header));
        assertEquals(FrameHeader.SIZE, in.remaining());
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(in, sink));
        assertEquals(code, e.code(), e::toString);
        assertEquals(message, e.getMessage());
        assertEquals(0, decoder.framesDecoded());
        assertFailedAndInert(decoder, sink, List.of());
    }

    /** A good frame, the bad header and payload after it, all in one chunk. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void refusedAfterTheFramesBeforeIt(String name, String header, ErrorCode code, String message) {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        FrameRecorder sink = new FrameRecorder();
        ByteBuffer in = ByteBuffer.wrap(input(header));
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(in, sink));
        assertEquals(code, e.code(), e::toString);
        assertEquals(message, e.getMessage());
        assertFalse(in.hasRemaining(), "the failed chunk is consumed");
        assertEquals(List.of(GOOD_FRAME), sink.frames);
        assertEquals(1, decoder.framesDecoded());
        assertFailedAndInert(decoder, sink, List.of(GOOD_FRAME));
    }

    /** The input cut in two at every position: the error comes with the chunk that completes the bad header. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void refusedWhereverTheInputIsCut(String name, String header, ErrorCode code, String message) {
        byte[] input = input(header);
        int lastHeaderByte = GOOD.length + FrameHeader.SIZE - 1;
        for (int cut = 0; cut <= input.length; cut++) {
            FrameDecoder decoder = new FrameDecoder(LIMIT);
            FrameRecorder sink = new FrameRecorder();
            ByteBuffer first = ByteBuffer.wrap(input, 0, cut);
            ByteBuffer second = ByteBuffer.wrap(input, cut, input.length - cut);
            ProtocolException e;
            if (cut > lastHeaderByte) {
                e = assertThrows(ProtocolException.class, () -> decoder.feed(first, sink), "cut at " + cut);
                assertDoesNotThrow(decoder, second, sink, "cut at " + cut + ", second chunk");
            } else {
                assertDoesNotThrow(decoder, first, sink, "cut at " + cut + ", first chunk");
                assertEquals(cut != 0 && cut != GOOD.length, decoder.hasPartialFrame(), "cut at " + cut);
                e = assertThrows(ProtocolException.class, () -> decoder.feed(second, sink), "cut at " + cut);
            }
            assertEquals(code, e.code(), "cut at " + cut);
            assertEquals(message, e.getMessage(), "cut at " + cut);
            assertFalse(first.hasRemaining() || second.hasRemaining(), "cut at " + cut + ": input left unconsumed");
            assertEquals(List.of(GOOD_FRAME), sink.frames, "cut at " + cut);
            assertFailedAndInert(decoder, sink, List.of(GOOD_FRAME));
        }
    }

    /** Byte by byte: nothing before the last header byte, the error exactly at it, nothing after. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void refusedAtTheLastHeaderByte(String name, String header, ErrorCode code, String message) {
        byte[] input = input(header);
        int lastHeaderByte = GOOD.length + FrameHeader.SIZE - 1;
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        FrameRecorder sink = new FrameRecorder();
        for (int i = 0; i < input.length; i++) {
            ByteBuffer in = ByteBuffer.wrap(input, i, 1);
            if (i == lastHeaderByte) {
                ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(in, sink), "byte " + i);
                assertEquals(code, e.code());
                assertEquals(message, e.getMessage());
            } else {
                assertDoesNotThrow(decoder, in, sink, "byte " + i);
            }
            boolean partial = i < GOOD.length - 1 || (i >= GOOD.length && i < lastHeaderByte);
            assertEquals(partial, decoder.hasPartialFrame(), "after byte " + i);
            assertEquals(i >= lastHeaderByte, decoder.failed(), "after byte " + i);
        }
        assertEquals(List.of(GOOD_FRAME), sink.frames);
    }

    @Test
    void sinkErrorFailsTheDecoderOnTheInPlacePath() {
        byte[] input = threeFrames();
        ProtocolException thrown = new ProtocolException(ErrorCode.BAD_SEQUENCE, "seq_id 1 after 5 on ch 1");
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        RefusingSink sink = new RefusingSink(thrown);
        ByteBuffer in = ByteBuffer.wrap(input);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.feed(in, sink));
        assertSame(thrown, e, "the sink's own exception comes out");
        assertFalse(in.hasRemaining(), "the rest of the chunk is dropped");
        assertEquals(2, sink.calls, "the third frame is not delivered");
        assertEquals(2, decoder.framesDecoded(), "the refused frame was handed to the sink");
        assertFailedAndInert(decoder, sink.recorder, List.of(GOOD_FRAME));
        assertEquals(2, sink.calls);
    }

    @Test
    void sinkErrorFailsTheDecoderOnTheGatheringPath() {
        byte[] input = threeFrames();
        ProtocolException thrown = new ProtocolException(ErrorCode.UNKNOWN_CHANNEL, "ch 1 is not open");
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        RefusingSink sink = new RefusingSink(thrown);
        int secondEnd = 2 * GOOD.length;
        for (int i = 0; i < input.length; i++) {
            ByteBuffer in = ByteBuffer.wrap(input, i, 1);
            if (i == secondEnd - 1) {
                assertSame(thrown, assertThrows(ProtocolException.class, () -> decoder.feed(in, sink)));
            } else {
                assertDoesNotThrow(decoder, in, sink, "byte " + i);
            }
        }
        assertEquals(2, sink.calls);
        assertEquals(2, decoder.framesDecoded());
        assertFailedAndInert(decoder, sink.recorder, List.of(GOOD_FRAME));
    }

    /**
     * A sink that throws something other than a ProtocolException (a handler bug) must not
     * leave the decoder half-way through a chunk that the transport will not feed again: the
     * decoder fails as for any other error, and later input is ignored.
     */
    @Test
    void sinkRuntimeExceptionFailsTheDecoderToo() {
        byte[] input = threeFrames();
        IllegalStateException thrown = new IllegalStateException("handler bug");
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        int[] calls = {0};
        FrameSink sink = (type, seq, ch, flags, payload) -> {
            if (++calls[0] == 2) {
                throw thrown;
            }
        };
        ByteBuffer in = ByteBuffer.wrap(input);
        assertSame(thrown, assertThrows(IllegalStateException.class, () -> decoder.feed(in, sink)));
        assertTrue(decoder.failed(), "decoder not failed after the sink threw " + thrown);
        assertFalse(in.hasRemaining(), "the rest of the chunk was left in the input: " + in);
        assertDoesNotThrow(decoder, ByteBuffer.wrap(GOOD), sink, "after the failure");
        assertEquals(2, calls[0], "frames delivered after the failure");
    }

    @Test
    void zeroLimitAcceptsOnlyEmptyFrames() {
        FrameDecoder decoder = new FrameDecoder(0);
        FrameRecorder sink = new FrameRecorder();
        byte[] empty = FrameHeader.frame(PacketType.KEEPALIVE, 3, 0, 0, new byte[0]);
        assertDoesNotThrow(decoder, ByteBuffer.wrap(empty), sink, "empty frame");
        // the gathering path as well
        for (byte b : empty) {
            assertDoesNotThrow(decoder, ByteBuffer.wrap(new byte[] {b}), sink, "empty frame byte by byte");
        }
        assertEquals(2, sink.frames.size());
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> decoder.feed(ByteBuffer.wrap(FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[1])), sink));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
        assertEquals("frame size 1 exceeds the limit of 0 bytes", e.getMessage());
    }

    @Test
    void configuredLimitIsInclusive() {
        FrameDecoder decoder = new FrameDecoder(1024);
        FrameRecorder sink = new FrameRecorder();
        assertDoesNotThrow(decoder, ByteBuffer.wrap(FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[1024])), sink, "1024");
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> decoder.feed(ByteBuffer.wrap(FrameHeader.frame(PacketType.DATA, 1, 1, 0, new byte[1025])), sink));
        assertEquals("frame size 1025 exceeds the limit of 1024 bytes", e.getMessage());
        assertEquals(1, sink.frames.size());
    }

    @Test
    void decoderLimitMustBeWithinTheHardCap() {
        assertEquals("maxPayload out of range 0..16777216: -1",
                assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(-1)).getMessage());
        assertEquals("maxPayload out of range 0..16777216: 16777217",
                assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(FrameLimits.HARD_CAP_FRAME_PAYLOAD + 1)).getMessage());
        new FrameDecoder(FrameLimits.HARD_CAP_FRAME_PAYLOAD);
    }

    @Test
    void frameLimits() {
        assertEquals(65536, FrameLimits.DEFAULT_MESSAGE_PAYLOAD);
        assertEquals(65536 + 256, FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD);
        assertEquals(16 * 1024 * 1024, FrameLimits.HARD_CAP_FRAME_PAYLOAD);
        assertEquals(65792, FrameLimits.checkConfigured(65792));
        assertEquals(FrameLimits.HARD_CAP_FRAME_PAYLOAD, FrameLimits.checkConfigured(FrameLimits.HARD_CAP_FRAME_PAYLOAD));
        for (int bad : new int[] {65791, 1024, 0, -1, FrameLimits.HARD_CAP_FRAME_PAYLOAD + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FrameLimits.checkConfigured(bad));
            assertEquals("max frame payload must be between 65792 and 16777216 bytes, got " + bad, e.getMessage());
        }
    }

    // ---- helpers ----

    /** GOOD, the bad header, 16 bytes where its payload would be, GOOD again. */
    private static byte[] input(String badHeader) {
        byte[] header = Hex.decode(badHeader);
        byte[] out = new byte[GOOD.length + header.length + 16 + GOOD.length];
        System.arraycopy(GOOD, 0, out, 0, GOOD.length);
        System.arraycopy(header, 0, out, GOOD.length, header.length);
        System.arraycopy(GOOD, 0, out, out.length - GOOD.length, GOOD.length);
        return out;
    }

    private static byte[] threeFrames() {
        byte[] out = new byte[3 * GOOD.length];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(GOOD, 0, out, i * GOOD.length, GOOD.length);
        }
        return out;
    }

    /**
     * The decoder is failed, reports no partial frame, and ignores more input (good frames and
     * bad headers alike) without throwing or calling the sink.
     */
    private static void assertFailedAndInert(FrameDecoder decoder, FrameRecorder sink, List<ReceivedFrame> before) {
        assertTrue(decoder.failed());
        assertFalse(decoder.hasPartialFrame());
        long decoded = decoder.framesDecoded();
        byte[] more = threeFrames();
        for (ByteBuffer in : new ByteBuffer[] {ByteBuffer.wrap(more), ByteBuffer.wrap(more, 5, 7),
                ByteBuffer.wrap(Hex.decode("ffffffff ff 00000000 0000 ff")), ByteBuffer.allocateDirect(64)}) {
            assertDoesNotThrow(decoder, in, sink, "after the failure");
            assertFalse(in.hasRemaining(), "ignored input is still consumed");
        }
        assertEquals(before, sink.frames, "sink called after the failure");
        assertEquals(decoded, decoder.framesDecoded());
        assertTrue(decoder.failed());
    }

    private static void assertDoesNotThrow(FrameDecoder decoder, ByteBuffer in, FrameSink sink, String what) {
        try {
            decoder.feed(in, sink);
        } catch (ProtocolException e) {
            fail(what + ": " + e);
        }
    }

    /** Records, and throws {@code error} on the second frame. */
    private static final class RefusingSink implements FrameSink {
        final FrameRecorder recorder = new FrameRecorder();
        final ProtocolException error;
        int calls;

        RefusingSink(ProtocolException error) {
            this.error = error;
        }

        @Override
        public void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer payload) throws ProtocolException {
            if (++calls == 2) {
                assertArrayEquals(GOOD_FRAME.payload(), Hex.bytes(payload));
                throw error;
            }
            recorder.onFrame(type, seqId, channelId, flags, payload);
        }
    }

    private static Arguments row(String name, String header, ErrorCode code, String message) {
        return Arguments.of(name, header, code, message);
    }
}
