package org.dapstream.protocol;

import java.nio.ByteBuffer;

/**
 * Turns a byte stream, split anywhere, into frames.
 *
 * <p>The header is checked as soon as its 12 bytes are in, before a single payload byte is
 * buffered: first {@code size} against the limit, then {@code type}, then the reserved flag
 * bits. A frame that lies whole inside one input chunk reaches the sink as a view of that
 * chunk (no copy); only a frame split across chunks is gathered into the decoder's own
 * buffer, which is then reused. That buffer grows as the payload's bytes arrive, never on
 * the header's word: a header announcing 64 KiB followed by a few bytes costs
 * {@value #MIN_GATHER_BUFFER} bytes, not 64 KiB. The buffer doubles while a frame needs more,
 * so it holds at most twice the largest part of a frame ever gathered (at least
 * {@value #MIN_GATHER_BUFFER} bytes, at most the frame's size), and is kept for later frames.
 *
 * <p>After the first error (its own, or any exception thrown by the sink) the decoder is
 * failed: it throws nothing more and ignores all later input, as the stream is going down. Not thread-safe: one stream, one loop.
 */
public final class FrameDecoder {
    /** The gather buffer's first size: a small split frame needs no growth. */
    static final int MIN_GATHER_BUFFER = 4096;
    private static final byte[] EMPTY = new byte[0];

    private final int maxPayload;
    private final byte[] header = new byte[FrameHeader.SIZE];
    private int headerFill;

    // The frame whose payload is being gathered across chunks, valid while gathering.
    private boolean gathering;
    private PacketType type;
    private int seqId;
    private int channelId;
    private int flags;
    private int size;
    private byte[] body;
    private ByteBuffer bodyView;
    private int bodyFill;

    private boolean failed;
    private long framesDecoded;

    /** @param maxPayload the largest {@code size} accepted; see {@link FrameLimits} */
    public FrameDecoder(int maxPayload) {
        if (maxPayload < 0 || maxPayload > FrameLimits.HARD_CAP_FRAME_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload out of range 0.." + FrameLimits.HARD_CAP_FRAME_PAYLOAD + ": " + maxPayload);
        }
        this.maxPayload = maxPayload;
    }

    /**
     * Consumes all of {@code in} (position to limit), handing each completed frame to
     * {@code sink}. On return {@code in} is fully consumed, or the decoder has failed.
     *
     * @throws ProtocolException the first violation, from the codec or from the sink
     */
    public void feed(ByteBuffer in, FrameSink sink) throws ProtocolException {
        if (failed) {
            in.position(in.limit());
            return;
        }
        try {
            while (in.hasRemaining()) {
                if (gathering) {
                    gatherPayload(in, sink);
                } else if (headerFill == 0 && in.remaining() >= FrameHeader.SIZE) {
                    decodeInPlace(in, sink);
                } else {
                    gatherHeader(in, sink);
                }
            }
        } catch (ProtocolException | RuntimeException | Error e) {
            // Whatever went wrong, the position in the byte stream is lost: never resume mid-frame.
            failed = true;
            in.position(in.limit());
            throw e;
        }
    }

    /** True when part of a frame has been received and the rest has not. */
    public boolean hasPartialFrame() {
        return !failed && (headerFill > 0 || gathering);
    }

    /** True after an error: later input is ignored. */
    public boolean failed() {
        return failed;
    }

    /**
     * Drops the gathering buffer unless a frame is being gathered into it: an idle connection
     * then keeps no frame-sized buffer; the next split frame allocates one again.
     */
    public void releaseBuffer() {
        if (!gathering) {
            body = null;
            bodyView = null;
        }
    }

    /** Bytes of the gathering buffer kept now. */
    public int bufferCapacity() {
        byte[] b = body;
        return b == null ? 0 : b.length;
    }

    /** Frames handed to the sink so far. */
    public long framesDecoded() {
        return framesDecoded;
    }

    /** Fast path: the header is whole in {@code in}; so is the payload, often. */
    private void decodeInPlace(ByteBuffer in, FrameSink sink) throws ProtocolException {
        int start = in.position();
        int frameSize = FrameHeader.readSize(in, start);
        PacketType frameType = checkHeader(frameSize, in.get(start + FrameHeader.OFFSET_TYPE), in.get(start + FrameHeader.OFFSET_FLAGS));
        int frameSeq = FrameHeader.readSeq(in, start);
        int frameChannel = FrameHeader.readChannel(in, start);
        int frameFlags = in.get(start + FrameHeader.OFFSET_FLAGS) & 0xFF;
        int payloadStart = start + FrameHeader.SIZE;
        int limit = in.limit();
        if (limit - payloadStart >= frameSize) {
            int payloadEnd = payloadStart + frameSize;
            in.limit(payloadEnd).position(payloadStart);
            try {
                deliver(sink, frameType, frameSeq, frameChannel, frameFlags, in);
            } finally {
                in.limit(limit).position(payloadEnd);
            }
        } else {
            in.position(payloadStart);
            beginGathering(frameType, frameSeq, frameChannel, frameFlags, frameSize);
        }
    }

    private void gatherHeader(ByteBuffer in, FrameSink sink) throws ProtocolException {
        int n = Math.min(FrameHeader.SIZE - headerFill, in.remaining());
        in.get(header, headerFill, n);
        headerFill += n;
        if (headerFill < FrameHeader.SIZE) {
            return;
        }
        headerFill = 0;
        int frameSize = FrameHeader.readSize(header, 0);
        PacketType frameType = checkHeader(frameSize, header[FrameHeader.OFFSET_TYPE], header[FrameHeader.OFFSET_FLAGS]);
        beginGathering(frameType, FrameHeader.readSeq(header, 0), FrameHeader.readChannel(header, 0),
                header[FrameHeader.OFFSET_FLAGS] & 0xFF, frameSize);
        if (frameSize == 0) {
            finishGathered(sink);
        }
    }

    private void beginGathering(PacketType frameType, int frameSeq, int frameChannel, int frameFlags, int frameSize) {
        gathering = true;
        type = frameType;
        seqId = frameSeq;
        channelId = frameChannel;
        flags = frameFlags;
        size = frameSize;
        bodyFill = 0;
        if (body == null) {
            body = EMPTY;
            bodyView = ByteBuffer.wrap(body);
        }
    }

    private void gatherPayload(ByteBuffer in, FrameSink sink) throws ProtocolException {
        int n = Math.min(size - bodyFill, in.remaining());
        if (bodyFill + n > body.length) {
            grow(bodyFill + n);
        }
        in.get(body, bodyFill, n);
        bodyFill += n;
        if (bodyFill == size) {
            finishGathered(sink);
        }
    }

    /** Room for {@code needed} bytes of the frame being gathered: doubling, at least the minimum, at most the frame's size. */
    private void grow(int needed) {
        int grown = Math.min(size, Math.max(needed, Math.max(MIN_GATHER_BUFFER, body.length * 2)));
        byte[] bigger = new byte[grown];
        System.arraycopy(body, 0, bigger, 0, bodyFill);
        body = bigger;
        bodyView = ByteBuffer.wrap(body);
    }

    /** Bytes the decoder holds for gathering split frames (for tests and memory accounting). */
    public int gatherCapacity() {
        return body == null ? 0 : body.length;
    }

    private void finishGathered(FrameSink sink) throws ProtocolException {
        gathering = false;
        bodyView.limit(size).position(0);
        deliver(sink, type, seqId, channelId, flags, bodyView);
    }

    private void deliver(FrameSink sink, PacketType t, int seq, int ch, int fl, ByteBuffer payload) throws ProtocolException {
        framesDecoded++;
        sink.onFrame(t, seq, ch, fl, payload);
    }

    private PacketType checkHeader(int frameSize, byte typeByte, byte flagsByte) throws ProtocolException {
        // size is u32 on the wire: a negative int is a value above 2^31, over any limit.
        if (frameSize < 0 || frameSize > maxPayload) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE,
                    "frame size " + Integer.toUnsignedString(frameSize) + " exceeds the limit of " + maxPayload + " bytes");
        }
        PacketType t = PacketType.fromCode(typeByte & 0xFF);
        if (t == null) {
            throw new ProtocolException(ErrorCode.UNKNOWN_PACKET_TYPE,
                    String.format("unknown packet type 0x%02x", typeByte & 0xFF));
        }
        if ((flagsByte & ~Flags.DEFINED) != 0) {
            throw new ProtocolException(ErrorCode.RESERVED_FLAGS,
                    String.format("reserved flag bits set in 0x%02x", flagsByte & 0xFF));
        }
        return t;
    }
}
