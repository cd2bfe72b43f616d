package org.dapstream.stream;

import org.dapstream.compress.CompressionException;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.AeadFailure;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.FrameSink;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;

/**
 * Takes the decoder's frames (PROTOCOL.md section 8's receive checks): sequence, flags,
 * opening sealed frames, decompressing, credit, then hands channel messages to their
 * channel (or to reassembly) and ch-0 frames to the stream. In-order DATA on the channel of
 * the previous frame takes a short fast path. Event-loop confined.
 */
final class FrameReader implements FrameSink {
    /** Where the stream's own (ch 0) frames go, once their sequence is checked and they are opened. */
    @FunctionalInterface
    interface StreamFrames {
        void onStreamFrame(PacketType type, ByteBuffer payload) throws ProtocolException;
    }

    /** The first array for opened frames: a small frame's and its neighbours', so small frames never grow it twice. */
    static final int MIN_OPENED = 4096;

    private final Stream stream;
    private final StreamKeys keys;
    private final FlowControl flow;
    private final Reassembler reassembler;
    private final ChannelProtocol channels;
    private final StreamFrames streamFrames;
    private final int maxFramePayload;
    /** ch 0's next expected seq_id. */
    private int seqIn;
    /** The channel of the last frame received: consecutive frames mostly share one. */
    private Channel lastReceiver;
    /** Where sealed frames read from direct memory are opened; made on first use, dropped when idle. */
    private ByteBuffer opened;
    /** Where COMPRESSED payloads are decompressed (frame limit bytes): the payload handed on is a slice of it. */
    private ByteBuffer inflated;
    // Stats: written on the loop only (see Channel for why they are plain fields).
    long packetsReceived;
    long bytesReceived;

    FrameReader(Stream stream, StreamKeys keys, FlowControl flow, Reassembler reassembler, ChannelProtocol channels,
                StreamFrames streamFrames, int maxFramePayload) {
        this.stream = stream;
        this.keys = keys;
        this.flow = flow;
        this.reassembler = reassembler;
        this.channels = channels;
        this.streamFrames = streamFrames;
        this.maxFramePayload = maxFramePayload;
    }

    @Override
    public void onFrame(PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        if (stream.ended()) {
            return; // the rest of a read chunk after the stream ended
        }
        int size = payload.remaining();
        packetsReceived++;
        bytesReceived += FrameHeader.SIZE + size;
        if (FrameTrace.enabled()) {
            FrameTrace.frame(stream.id(), true, type, chId, seq, size, flags);
        }
        Channel ch = lastReceiver;
        // Fast path, kept small so the JIT inlines it: in-order plain DATA on the channel of
        // the previous frame, open and in push mode. Everything else takes the checked path.
        if (ch != null && ch.id() == chId && type == PacketType.DATA && seq == ch.seqIn && flags == keys.expectedFlags
                && ch.state != Channel.State.OPENING && !ch.handlerFailed && ch.reassembly == null && !ch.inbox.holdsArrivals()) {
            receiveFast(ch, seq, flags, payload, size);
            return;
        }
        onFrameChecked(type, seq, chId, flags, payload, size);
    }

    /** The fast path's work, a method of its own so that onFrame stays small enough to inline into the decoder. */
    private void receiveFast(Channel ch, int seq, int flags, ByteBuffer payload, int size) throws ProtocolException {
        ch.seqIn++;
        if (flags != 0) {
            payload = unseal(keys.receiveKeyFor(ch), PacketType.DATA, seq, ch.id(), flags, payload);
            size = payload.remaining();
        }
        flow.take(ch, size);
        ch.packetsReceived++;
        ch.bytesReceived += size;
        try {
            ch.handler.packetIn(ch, PacketType.DATA, payload);
        } catch (RuntimeException e) {
            ch.handlerFailed(e);
        }
        if (ch.retained != null) {
            ch.received++;
            stream.acks.delivered(ch, 1, size);
        }
        flow.consumedFast(ch, size);
    }

    private void onFrameChecked(PacketType type, int seq, int chId, int flags, ByteBuffer payload, int size) throws ProtocolException {
        if (chId == 0) {
            if (seq != seqIn) {
                throw badSequence(0, seqIn, seq);
            }
            seqIn++;
            streamFrames.onStreamFrame(type, unprotect(null, type, seq, 0, flags, payload));
            return;
        }
        if (stream.state() != StreamState.ACTIVE) {
            throw new ProtocolException(ErrorCode.STREAM_NOT_READY, type + " on channel " + chId + " before the stream setup completed");
        }
        Channel ch = channels.receiving(type, chId);
        if (seq != ch.seqIn) {
            throw badSequence(chId, ch.seqIn, seq);
        }
        ch.seqIn++;
        payload = unprotect(ch, type, seq, chId, flags, payload);
        ch.packetsReceived++;
        lastReceiver = ch;
        switch (type) {
            case DATA, CONTROL -> receiveMessage(ch, type, flags, payload);
            case CLOSE, ERROR -> {
                ch.bytesReceived += payload.remaining();
                channels.onClose(ch, type, CloseReason.decode(payload));
            }
            case KEEPALIVE -> throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "KEEPALIVE on channel " + chId + "; keepalives belong to ch 0");
        }
    }

    /** The channel is gone: the fast path must not find it again. */
    void forget(Channel ch) {
        if (lastReceiver == ch) {
            lastReceiver = null;
        }
    }

    /**
     * Checks a received frame's flags and, on an encrypted stream, opens it.
     *
     * @return the payload to go on with: the plaintext on an encrypted stream
     */
    private ByteBuffer unprotect(Channel ch, PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        int expected = keys.expectedFlags;
        if (expected != 0 && (flags & Flags.ENCRYPTED) == 0) {
            throw new ProtocolException(ErrorCode.NOT_ENCRYPTED, type + " on channel " + chId + " seq " + Integer.toUnsignedString(seq)
                    + " is not encrypted; after the handshake every frame is");
        }
        int transforms = flags & ~expected;
        if ((transforms & ~allowedTransforms(ch, type)) != 0) {
            throw new ProtocolException(ErrorCode.FLAG_NOT_NEGOTIATED, String.format(
                    "flags 0x%02x on %s %s; %s", flags, type, chId == 0 ? "ch 0" : "channel " + chId, notNegotiated(ch, type, transforms)));
        }
        return expected != 0 ? unseal(keys.receiveKeyFor(ch), type, seq, chId, flags, payload) : payload;
    }

    /**
     * Opens a sealed frame: authenticates it, enforces the nonce rule and the frames-per-key
     * limit. The plaintext lands where it costs least (FrameCipher): in place, or in this
     * stream's own array; a frame in direct memory (the transport's read buffer) is never
     * copied back there.
     *
     * @return the plaintext, lent for this frame: {@code payload} with its limit moved, or a view of the array
     */
    private ByteBuffer unseal(FrameKey key, PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        int size = payload.remaining();
        if (chId != 0) {
            if (key.wouldRepeatNonce(chId, seq)) {
                throw nonceRepeated(key, chId);
            }
            key.used(chId);
        }
        ByteBuffer plain;
        try {
            plain = key.cipher.open(size, type.code(), seq, chId, flags, payload, openScratch(size));
        } catch (AeadFailure e) {
            throw new ProtocolException(ErrorCode.DECRYPT_FAILED, type + " on channel " + chId + " seq "
                    + Integer.toUnsignedString(seq) + " failed authentication");
        }
        if (++key.frames > StreamSecurity.MAX_FRAMES_PER_KEY) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "peer sent more than " + StreamSecurity.MAX_FRAMES_PER_KEY
                    + " frames under one key without KEY_UPDATE");
        }
        return plain;
    }

    /** This stream's array for opened frames, at least {@code size} bytes (a frame limit at most); made on first use. */
    private ByteBuffer openScratch(int size) {
        ByteBuffer view = opened;
        if (view == null || view.capacity() < size) {
            view = opened = ByteBuffer.allocate(Math.max(size, Math.min(maxFramePayload, MIN_OPENED)));
        }
        view.clear();
        return view;
    }

    /** The peer opened a channel id again and did not move to a new epoch first (its message built off the hot path). */
    private static ProtocolException nonceRepeated(FrameKey key, int chId) {
        return new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "channel " + chId + " opened again and its seq 0 sent under key epoch "
                + Integer.toUnsignedString(key.epoch()) + ", which already carried that channel id: a KEY_UPDATE must come first");
    }

    /** COMPRESSED on channels that negotiated it (DATA, CONTROL); FRAGMENTED on DATA. Nothing on ch 0, CLOSE, ERROR. */
    private static int allowedTransforms(Channel ch, PacketType type) {
        if (ch == null || (type != PacketType.DATA && type != PacketType.CONTROL)) {
            return 0;
        }
        int compressed = ch.compression ? Flags.COMPRESSED : 0;
        return type == PacketType.DATA ? compressed | Flags.FRAGMENTED : compressed;
    }

    private static String notNegotiated(Channel ch, PacketType type, int transforms) {
        if ((transforms & Flags.ENCRYPTED) != 0) {
            return "encryption was not negotiated (plaintext stream)";
        }
        if ((transforms & ~Flags.DEFINED) != 0) {
            return "reserved bits";
        }
        if (ch == null || (type != PacketType.DATA && type != PacketType.CONTROL)) {
            return "compression and fragmentation apply to DATA and CONTROL packets on channels only";
        }
        if ((transforms & Flags.COMPRESSED) != 0 && !ch.compression) {
            return "compression was not negotiated when the channel opened";
        }
        return "only DATA messages are fragmented";
    }

    /** A DATA or CONTROL frame on a channel after decryption: decompress, reassemble, check credit, deliver. */
    private void receiveMessage(Channel ch, PacketType type, int flags, ByteBuffer payload) throws ProtocolException {
        if ((flags & Flags.COMPRESSED) != 0) {
            payload = inflate(ch, type, payload);
        }
        if (type == PacketType.CONTROL && payload.remaining() > FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            // What no sender may write (section 6) no receiver hands on: a service that
            // answers in kind (ECHO) could not send it back.
            throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "CONTROL packet of " + payload.remaining() + " bytes on channel "
                    + ch.id() + "; a channel's CONTROL packets are at most " + FrameLimits.DEFAULT_MESSAGE_PAYLOAD);
        }
        if ((flags & Flags.FRAGMENTED) != 0 || ch.reassembly != null) {
            reassembler.receive(ch, type, (flags & Flags.FRAGMENTED) != 0, payload);
            return;
        }
        int size = payload.remaining();
        flow.take(ch, size);
        ch.bytesReceived += size;
        ch.received++;
        ch.deliver(type, payload, false);
    }

    /** Decompresses into {@link #inflated}; the declared length is checked against the frame limit before any work. */
    private ByteBuffer inflate(Channel ch, PacketType type, ByteBuffer payload) throws ProtocolException {
        if (inflated == null) {
            inflated = ByteBuffer.allocate(maxFramePayload);
        }
        inflated.clear();
        int size;
        try {
            size = Lz4Payload.decompress(payload, payload.position(), payload.remaining(), inflated, 0, maxFramePayload);
        } catch (CompressionException e) {
            throw new ProtocolException(ErrorCode.DECOMPRESSION_FAILED, "COMPRESSED " + type + " on channel " + ch.id() + ": " + e.getMessage());
        }
        inflated.limit(size).position(0);
        return inflated;
    }

    private static ProtocolException badSequence(int chId, int expected, int got) {
        return new ProtocolException(ErrorCode.BAD_SEQUENCE, "channel " + chId + ": expected seq "
                + Integer.toUnsignedString(expected) + ", got " + Integer.toUnsignedString(got));
    }

    /** An idle stream drops its inflate and open buffers; the next frame that needs one makes it again. */
    void releaseIdleBuffers() {
        inflated = null;
        opened = null;
    }

    /** Bytes of the inflate and open buffers kept between frames. A monitoring value off the loop. */
    long retainedBufferBytes() {
        ByteBuffer in = inflated;
        ByteBuffer op = opened;
        return (in == null ? 0 : in.capacity()) + (op == null ? 0 : op.capacity());
    }
}
