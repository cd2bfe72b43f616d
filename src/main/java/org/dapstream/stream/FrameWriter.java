package org.dapstream.stream;

import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.FrameCipher;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;

/**
 * Turns packets into frames: the only caller of the transport's claim/commit. Writes the
 * header and the fragment header, compresses when it pays, seals, shows a channel's
 * {@code packetOut} observer the plaintext, and counts and traces every frame. The send
 * order is PROTOCOL.md section 8's: fragment, compress, encrypt. Event-loop confined.
 */
final class FrameWriter {
    private final Stream stream;
    private final StreamTransport transport;
    private final StreamKeys keys;
    private final StreamCounters counters;
    /** ch 0's next seq_id. */
    private int seqOut;
    /** A packetOut observer runs: a frame is half written, so nothing may send now. */
    boolean inPacketOut;
    /** Something but keepalives was written since the last tick. */
    boolean wroteSinceTick;
    /** A fragment header and its data, put together to be compressed as one payload; made on first use. */
    private ByteBuffer compressScratch;
    // Stats: written on the loop only (see Channel for why they are plain fields).
    long packetsSent;
    long bytesSent;

    FrameWriter(Stream stream, StreamTransport transport, StreamKeys keys, StreamCounters counters) {
        this.stream = stream;
        this.transport = transport;
        this.keys = keys;
        this.counters = counters;
    }

    void sendStreamFrame(PacketType type, byte[] payload) {
        sendFrame(null, 0, type, null, payload, 0, payload.length);
    }

    /** A channel's CLOSE or ERROR (its due ACK goes first: none follows a channel's end). */
    void sendChannelFrame(Channel ch, PacketType type, byte[] payload) {
        stream.acks.beforeChannelEnd(ch);
        sendFrame(ch, ch.id(), type, null, payload, 0, payload.length);
    }

    /** One frame, its payload copied as it is (no fragment header, not compressed): header, copy, seal, counters, trace. */
    void sendFrame(Channel ch, int chId, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len) {
        int seq = ch == null ? seqOut++ : ch.seqOut++;
        FrameKey key = keys.sendKeyFor(ch);
        if (key != null && chId != 0) {
            keys.keepNonceFresh(key, chId, seq);
        }
        int wire = key == null ? len : len + FrameCipher.TAG_SIZE;
        int frame = FrameHeader.SIZE + wire;
        ByteBuffer out = transport.claim(frame);
        int at = out.position();
        FrameHeader.write(out, at, wire, type, seq, chId, key == null ? 0 : Flags.ENCRYPTED);
        if (buffer != null) {
            out.put(at + FrameHeader.SIZE, buffer, offset, len);
        } else {
            out.put(at + FrameHeader.SIZE, array, offset, len);
        }
        RuntimeException observerFailure = null;
        if (ch != null && ch.observesPacketOut && (type == PacketType.DATA || type == PacketType.CONTROL)) {
            // Before commit: once committed, a full batch may be written and its memory reused.
            observerFailure = observePacketOut(ch, type, out, at + FrameHeader.SIZE, len);
        }
        if (key != null) {
            key.seal(out, at, len); // the observer saw plaintext; the wire gets ciphertext
        }
        transport.commit(frame);
        sent(ch, key, type, chId, seq, frame, len, 0);
        if (observerFailure != null) {
            ch.handlerFailed(observerFailure);
        }
    }

    /**
     * A queued message's next frame: the whole message, or its next fragment (a
     * {@link FragmentHeader} before the data, FRAGMENTED unless it is the last).
     * Its packetOut observer saw the message when it was queued.
     *
     * @return the frame's size on the wire
     */
    int sendQueuedFrame(Channel ch, OutboundMessage m, int chunk) {
        boolean fragment = m.fragmented();
        boolean more = fragment && m.done + chunk < m.length;
        return sendAppFrame(ch, m.type, ByteBuffer.wrap(m.data), m.done, chunk, fragment ? m.length : -1, m.done, more);
    }

    /**
     * One application frame: the data, after a {@link FragmentHeader} when {@code total >= 0};
     * compressed when the channel compresses and it pays; then sealed.
     *
     * @return the frame's size on the wire
     */
    int sendAppFrame(Channel ch, PacketType type, ByteBuffer data, int from, int len, long total, long fragmentOffset, boolean more) {
        int seq = ch.seqOut++;
        FrameKey key = keys.sendKeyFor(ch);
        if (key != null) {
            keys.keepNonceFresh(key, ch.id(), seq);
        }
        int headerBytes = total >= 0 ? FragmentHeader.SIZE : 0;
        int plain = headerBytes + len;
        int tag = key == null ? 0 : FrameCipher.TAG_SIZE;
        SendQueue q = ch.queue;
        boolean tryCompress = q.compressor != null && plain >= q.compressMin;
        int room = tryCompress ? Math.max(plain, Lz4Payload.maxCompressedLength(plain)) : plain;
        ByteBuffer out = transport.claim(FrameHeader.SIZE + room + tag);
        int at = out.position();
        int payloadAt = at + FrameHeader.SIZE;
        int flags = (more ? Flags.FRAGMENTED : 0) | (key == null ? 0 : Flags.ENCRYPTED);
        int payload = -1;
        if (tryCompress) {
            ByteBuffer source = data;
            int sourceAt = from;
            if (headerBytes > 0) { // header and data must be one contiguous input
                if (compressScratch == null) {
                    compressScratch = ByteBuffer.allocate(FragmentHeader.SIZE + OutboundMessage.FRAGMENT_DATA);
                }
                FragmentHeader.write(compressScratch, 0, total, fragmentOffset);
                compressScratch.put(FragmentHeader.SIZE, data, from, len);
                source = compressScratch;
                sourceAt = 0;
            }
            payload = q.compressor.compress(source, sourceAt, plain, out, payloadAt);
            if (payload >= 0) {
                flags |= Flags.COMPRESSED;
                counters.compressionSaved(plain - payload);
            }
        }
        if (payload < 0 && key != null && headerBytes == 0 && data.hasArray()) {
            // Sealed straight from the sender's array: the plaintext is never copied into the batch.
            FrameHeader.write(out, at, len + tag, type, seq, ch.id(), flags);
            key.sealFrom(data.array(), data.arrayOffset() + from, len, out, at);
            payload = len;
        } else {
            if (payload < 0) {
                if (headerBytes > 0) {
                    FragmentHeader.write(out, payloadAt, total, fragmentOffset);
                }
                out.put(payloadAt + headerBytes, data, from, len);
                payload = plain;
            }
            FrameHeader.write(out, at, payload + tag, type, seq, ch.id(), flags);
            if (key != null) {
                key.seal(out, at, payload);
            }
        }
        int frame = FrameHeader.SIZE + payload + tag;
        transport.commit(frame);
        sent(ch, key, type, ch.id(), seq, frame, len, flags);
        return frame;
    }

    /** Counters, trace and the key's limits after a frame went into the batch. */
    private void sent(Channel ch, FrameKey key, PacketType type, int chId, int seq, int frame, int len, int flags) {
        packetsSent++;
        bytesSent += frame;
        // Keepalives do not make the write side busy: both ends then ping when idle, so
        // each measures the round trip itself instead of only answering the other's pings.
        if (type != PacketType.KEEPALIVE) {
            wroteSinceTick = true;
        }
        if (FrameTrace.enabled()) {
            FrameTrace.frame(stream.id(), false, type, chId, seq, len, flags);
        }
        if (ch != null) {
            ch.packetsSent++;
            ch.bytesSent += len;
        }
        if (key != null) {
            keys.sealed(key);
        }
    }

    /**
     * {@code packet_out}: shows the handler the payload as it sits in the batch. The
     * observer must not write (its frame would land inside the one being written).
     *
     * @return what the observer threw, for the caller to handle once the frame is committed
     */
    RuntimeException observePacketOut(Channel ch, PacketType type, ByteBuffer out, int from, int len) {
        int limit = out.limit();
        int position = out.position();
        inPacketOut = true;
        try {
            out.limit(from + len).position(from);
            ch.handler.packetOut(ch, type, out);
            return null;
        } catch (RuntimeException e) {
            return e;
        } finally {
            inPacketOut = false;
            out.limit(limit).position(position);
        }
    }

    /** An idle stream drops its compression scratch buffer; the next fragment to compress makes it again. */
    void releaseIdleBuffers() {
        compressScratch = null;
    }

    /** Bytes of the scratch buffer kept between frames. A monitoring value off the loop. */
    long retainedBufferBytes() {
        ByteBuffer scratch = compressScratch;
        return scratch == null ? 0 : scratch.capacity();
    }
}
