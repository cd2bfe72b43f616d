package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;

/**
 * The same bytes, cut anywhere, decode to the same frames (after Vert.x's RecordParserTest):
 * at every chunk size from 1 to twice the input, then in random chunks. After every chunk the
 * decoder must have consumed it all, delivered exactly the frames that are complete, and
 * report a partial frame exactly when the cut falls inside one.
 */
class FrameDecoderSplitTest {
    private static final int LIMIT = FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;

    /** Payload sizes around the 12-byte header size and the 4096-byte initial gather buffer. */
    private static final int[] SMALL_SIZES = {0, 1, 11, 12, 13, 64, 0, 4096, 12, 1, 4097, 13, 0};
    /** The same plus frames at the limit, after which the gather buffer must serve small ones again. */
    private static final int[] FULL_SIZES = {0, 1, 11, 12, 13, 64, 4096, 0, LIMIT, 12, 4097, 1, LIMIT - 1, 13, LIMIT, 0};

    private static final Input SMALL = new Input(frames(SMALL_SIZES, 1));
    private static final Input FULL = new Input(frames(FULL_SIZES, 2));

    @Test
    void everyChunkSizeOfTheSmallInput() {
        for (int chunk = 1; chunk <= 2 * SMALL.bytes.length; chunk++) {
            int c = chunk;
            decodeInChunks(SMALL, i -> c, heap(SMALL), "chunk size " + chunk);
        }
    }

    @Test
    void sampledChunkSizesOfTheFullInput() {
        int n = FULL.bytes.length;
        int[] sizes = {1, 2, 3, 5, 7, 11, 12, 13, 24, 25, 64, 100, 1000, 4095, 4096, 4097, 4108, 4109, 8191,
                65535, LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 12, LIMIT + 13, n - 1, n, n + 1, 2 * n};
        for (int size : sizes) {
            decodeInChunks(FULL, i -> size, heap(FULL), "chunk size " + size);
        }
    }

    @Test
    void randomChunksOfTheSmallInput() {
        for (int iteration = 0; iteration < 300; iteration++) {
            long seed = 0x5EED_0000L + iteration;
            Random random = new Random(seed);
            decodeInChunks(SMALL, i -> 1 + random.nextInt(64), heap(SMALL), "random chunks, seed " + seed);
        }
    }

    @Test
    void randomChunksOfTheFullInput() {
        int n = FULL.bytes.length;
        for (int iteration = 0; iteration < 400; iteration++) {
            long seed = 0xF011_0000L + iteration;
            Random random = new Random(seed);
            // Mostly small cuts, so that many land inside headers; now and then a large one.
            IntUnaryOperator chunks = i -> switch (random.nextInt(10)) {
                case 0, 1, 2, 3 -> 1 + random.nextInt(16);
                case 4, 5, 6 -> 1 + random.nextInt(300);
                case 7, 8 -> 1 + random.nextInt(5000);
                default -> 1 + random.nextInt(2 * n);
            };
            decodeInChunks(FULL, chunks, heap(FULL), "random chunks, seed " + seed);
        }
    }

    @Test
    void sliceDirectAndReadOnlyInputs() {
        int[] sizes = {1, 5, 12, 13, 100, 4109, 70_000, FULL.bytes.length};
        for (Kind kind : Kind.values()) {
            for (int size : sizes) {
                decodeInChunks(FULL, i -> size, kind.chunks(FULL.bytes), kind + ", chunk size " + size);
            }
        }
    }

    @Test
    void wholeFramesAreLentAsViewsOfTheInput() throws ProtocolException {
        byte[] backing = FULL.bytes;
        ByteBuffer in = ByteBuffer.wrap(backing);
        List<String> problems = new ArrayList<>();
        int[] index = {0};
        new FrameDecoder(LIMIT).feed(in, (type, seq, ch, flags, payload) -> {
            int i = index[0]++;
            int size = FULL.frames.get(i).payload().length;
            int start = FULL.ends[i] - size;
            if (!payload.hasArray() || payload.array() != backing || payload.arrayOffset() + payload.position() != start
                    || payload.remaining() != size) {
                problems.add("frame " + i + " is not input[" + start + ".." + (start + size) + "): " + payload);
            }
        });
        assertEquals(List.of(), problems);
        assertEquals(FULL.frames.size(), index[0]);
        assertFalse(in.hasRemaining());
    }

    @Test
    void sinkMayMoveThePayloadsPositionAndLimit() {
        for (int size : new int[] {1, 7, 13, 4096, LIMIT + 12, FULL.bytes.length}) {
            FrameDecoder decoder = new FrameDecoder(LIMIT);
            MeddlingSink sink = new MeddlingSink();
            feedAll(decoder, sink, i -> size, heap(FULL), "chunk size " + size);
            assertEquals(FULL.frames, sink.frames, "chunk size " + size);
            assertFalse(decoder.hasPartialFrame());
        }
    }

    @Test
    void hasPartialFrameByteByByte() throws ProtocolException {
        byte[] input = concat(
                FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[13]),
                FrameHeader.frame(PacketType.KEEPALIVE, 1, 0, 0, new byte[0]),
                FrameHeader.frame(PacketType.CLOSE, 2, 1, 0, new byte[] {0, 0}));
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        FrameRecorder sink = new FrameRecorder();
        assertFalse(decoder.hasPartialFrame(), "before any input");
        for (int i = 0; i < input.length; i++) {
            decoder.feed(ByteBuffer.wrap(input, i, 1), sink);
            int consumed = i + 1;
            boolean boundary = consumed == 25 || consumed == 37 || consumed == 51;
            assertEquals(!boundary, decoder.hasPartialFrame(), "after " + consumed + " bytes");
        }
        assertEquals(3, sink.frames.size());
        assertEquals(3, decoder.framesDecoded());
        // An empty chunk changes nothing.
        decoder.feed(ByteBuffer.allocate(0), sink);
        assertFalse(decoder.hasPartialFrame());
        assertEquals(3, sink.frames.size());
    }

    @Test
    void theInputsCoverWhatTheyClaim() {
        // Guards the sweep itself: sizes, types and flags are all present.
        assertTrue(FULL.frames.stream().anyMatch(f -> f.payload().length == LIMIT));
        assertTrue(FULL.frames.stream().anyMatch(f -> f.seqId() == 0xFFFFFFFF));
        assertTrue(FULL.frames.stream().anyMatch(f -> f.channelId() == 0xFFFF));
        for (PacketType t : PacketType.values()) {
            assertTrue(SMALL.frames.stream().anyMatch(f -> f.type() == t), t.toString());
        }
        for (int flags = 0; flags < 8; flags++) {
            int fl = flags;
            assertTrue(SMALL.frames.stream().anyMatch(f -> f.flags() == fl), Flags.describe(flags));
        }
        assertArrayEquals(SMALL.frames.get(3).encode(), Arrays.copyOfRange(SMALL.bytes, SMALL.ends[2], SMALL.ends[3]));
    }

    // ---- the inputs ----

    /** Frames with sizes from {@code sizes}, every type, flag combination and a spread of ids. */
    private static List<ReceivedFrame> frames(int[] sizes, long seed) {
        Random random = new Random(seed);
        int[] channels = {0, 1, 2, 3, 0xFFFF, 0x1234, 0x8000};
        int[] seqs = {0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 7};
        PacketType[] types = PacketType.values();
        List<ReceivedFrame> frames = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            byte[] payload = new byte[sizes[i]];
            random.nextBytes(payload);
            frames.add(new ReceivedFrame(types[i % types.length], seqs[i % seqs.length], channels[i % channels.length],
                    i % 8, payload));
        }
        return frames;
    }

    /** Frames, their wire image, and where each frame ends in it. */
    private static final class Input {
        final List<ReceivedFrame> frames;
        final byte[] bytes;
        final int[] ends;

        Input(List<ReceivedFrame> frames) {
            this.frames = List.copyOf(frames);
            this.ends = new int[frames.size()];
            byte[][] parts = new byte[frames.size()][];
            int end = 0;
            for (int i = 0; i < parts.length; i++) {
                parts[i] = frames.get(i).encode();
                end += parts[i].length;
                ends[i] = end;
            }
            this.bytes = concat(parts);
        }

        /** Frames wholly inside the first {@code consumed} bytes. */
        int framesWithin(int consumed) {
            int i = Arrays.binarySearch(ends, consumed);
            return i >= 0 ? i + 1 : -i - 1;
        }

        boolean atBoundary(int consumed) {
            return consumed == 0 || Arrays.binarySearch(ends, consumed) >= 0;
        }
    }

    // ---- feeding ----

    @FunctionalInterface
    private interface Chunks {
        /** bytes[from, to) of the input as a buffer's position..limit. */
        ByteBuffer chunk(int from, int to);
    }

    private static Chunks heap(Input input) {
        return (from, to) -> ByteBuffer.wrap(input.bytes, from, to - from);
    }

    /** The ways a transport may hand bytes over. */
    private enum Kind {
        /** Slices whose backing array starts before them (non-zero arrayOffset). */
        HEAP_SLICE,
        /** Little-endian heap buffers: the buffer's order must not matter. */
        HEAP_LITTLE_ENDIAN,
        DIRECT,
        DIRECT_SLICE,
        READ_ONLY_HEAP,
        READ_ONLY_DIRECT;

        Chunks chunks(byte[] bytes) {
            int pad = 9;
            boolean direct = this == DIRECT || this == DIRECT_SLICE || this == READ_ONLY_DIRECT;
            ByteBuffer whole = direct ? ByteBuffer.allocateDirect(pad + bytes.length + pad) : ByteBuffer.allocate(pad + bytes.length + pad);
            for (int i = 0; i < whole.capacity(); i++) {
                whole.put(i, (byte) 0xEE);
            }
            whole.position(pad);
            whole.put(bytes);
            ByteBuffer base = this == READ_ONLY_HEAP || this == READ_ONLY_DIRECT ? whole.asReadOnlyBuffer() : whole;
            return (from, to) -> {
                ByteBuffer b = base.duplicate();
                b.limit(pad + to).position(pad + from);
                return switch (this) {
                    case HEAP_SLICE, DIRECT_SLICE -> {
                        ByteBuffer slice = b.slice();
                        if (this == HEAP_SLICE) {
                            assertEquals(pad + from, slice.arrayOffset());
                        }
                        yield slice;
                    }
                    case HEAP_LITTLE_ENDIAN -> b.order(ByteOrder.LITTLE_ENDIAN);
                    default -> b;
                };
            };
        }
    }

    /** Feeds the whole input in chunks and checks the decoder after each, then checks all frames. */
    private static void decodeInChunks(Input input, IntUnaryOperator chunkSizes, Chunks chunks, String what) {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        FrameRecorder sink = new FrameRecorder();
        int consumed = 0;
        int n = input.bytes.length;
        for (int i = 0; consumed < n; i++) {
            int to = (int) Math.min(n, (long) consumed + chunkSizes.applyAsInt(i));
            ByteBuffer in = chunks.chunk(consumed, to);
            try {
                decoder.feed(in, sink);
            } catch (ProtocolException e) {
                fail(what + ": bytes [" + consumed + ", " + to + ") failed with " + e);
            }
            if (in.hasRemaining()) {
                fail(what + ": bytes [" + consumed + ", " + to + ") left " + in.remaining() + " unconsumed");
            }
            consumed = to;
            int complete = input.framesWithin(consumed);
            if (sink.frames.size() != complete || decoder.framesDecoded() != complete) {
                fail(what + ": after " + consumed + " bytes the sink has " + sink.frames.size() + " frames, the decoder counts "
                        + decoder.framesDecoded() + ", expected " + complete);
            }
            if (decoder.hasPartialFrame() == input.atBoundary(consumed)) {
                fail(what + ": after " + consumed + " bytes hasPartialFrame() is " + decoder.hasPartialFrame());
            }
        }
        if (!input.frames.equals(sink.frames)) {
            assertEquals(input.frames, sink.frames, what);
        }
        assertFalse(decoder.failed(), what);
    }

    private static void feedAll(FrameDecoder decoder, FrameSink sink, IntUnaryOperator chunkSizes, Chunks chunks, String what) {
        int n = FULL.bytes.length;
        for (int consumed = 0, i = 0; consumed < n; i++) {
            int to = (int) Math.min(n, (long) consumed + chunkSizes.applyAsInt(i));
            ByteBuffer in = chunks.chunk(consumed, to);
            try {
                decoder.feed(in, sink);
            } catch (ProtocolException e) {
                fail(what + ": bytes [" + consumed + ", " + to + ") failed with " + e);
            }
            assertFalse(in.hasRemaining(), what);
            consumed = to;
        }
    }

    /**
     * Reads the payload with relative gets (moving the position to the limit), then moves
     * position and limit elsewhere in one of four ways; the decoder must not care.
     */
    private static final class MeddlingSink implements FrameSink {
        final List<ReceivedFrame> frames = new ArrayList<>();

        @Override
        public void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer payload) {
            int start = payload.position();
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            assertEquals(payload.limit(), payload.position());
            frames.add(new ReceivedFrame(type, seqId, channelId, flags, bytes));
            switch (frames.size() % 4) {
                case 0 -> payload.limit(start);
                case 1 -> payload.clear();
                case 2 -> payload.flip();
                default -> payload.position(start).limit(start + bytes.length / 2);
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
