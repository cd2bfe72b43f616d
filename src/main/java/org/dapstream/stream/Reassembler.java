package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Puts fragmented messages back together (PROTOCOL.md section 10), one per channel at a
 * time, within the stream's reassembly budget ({@code max-reassembly-bytes}) and timeout;
 * checks each fragment's place, and credits fragments as they come so a message larger
 * than the window still completes. Event-loop confined.
 */
final class Reassembler {
    private final FlowControl flow;
    private final FlowConfig config;
    private final StreamClock clock;
    private final int maxMessage;
    /** Bytes held by partly received fragmented messages, all channels. */
    private long heldBytes;
    /** Channels with a fragmented message in progress (the tick checks their timeout only when > 0). */
    private int inProgress;

    Reassembler(FlowControl flow, FlowConfig config, StreamClock clock) {
        this.flow = flow;
        this.config = config;
        this.clock = clock;
        this.maxMessage = config.maxMessageSize();
    }

    /** A DATA frame that is a fragment, or arrives while one is in progress: its checks, then delivery once complete. */
    void receive(Channel ch, PacketType type, boolean more, ByteBuffer payload) throws ProtocolException {
        if (type != PacketType.DATA) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, type + " on channel " + ch.id()
                    + " in the middle of a fragmented message");
        }
        FragmentHeader header = FragmentHeader.read(payload);
        payload.position(payload.position() + FragmentHeader.SIZE);
        int size = payload.remaining();
        Reassembly r = ch.reassembly;
        if (r == null) {
            if (header.offset() != 0) {
                throw new ProtocolException(ErrorCode.UNKNOWN_FRAGMENT, "channel " + ch.id() + ": fragment at offset "
                        + header.offset() + " of a " + header.total() + "-byte message that was never started");
            }
            if (header.total() > maxMessage) {
                throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "channel " + ch.id() + ": a " + header.total()
                        + "-byte message exceeds the limit of " + maxMessage + " bytes");
            }
            if (header.total() <= size) {
                throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": first fragment holds all "
                        + header.total() + " bytes of its message but says more follow");
            }
            r = new Reassembly(header.total(), clock.nanoTime());
            hold(ch, r.capacity());
            ch.reassembly = r;
            inProgress++;
        } else if (header.total() != r.total || header.offset() != r.received()) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": fragment at offset "
                    + header.offset() + " of a " + header.total() + "-byte message; expected offset " + r.received() + " of " + r.total);
        }
        long end = r.received() + (long) size;
        if (end > r.total || (!more && end != r.total)) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": fragment ends at " + end
                    + (more ? ", past" : ", but the message ends at") + " the message's " + r.total + " bytes");
        }
        flow.take(ch, size);
        int grown = r.append(payload, clock.nanoTime());
        if (grown > 0) {
            hold(ch, grown);
        }
        ch.bytesReceived += size;
        // Reassembly took the bytes (it has its own limit): credit flows back as fragments come,
        // so a message larger than the window still completes. On a push channel that is the
        // application's pace (its handler takes each message as it completes), so the windows
        // may grow; a pull or paused channel's messages wait unread, so they may not.
        flow.consumed(ch, size, !ch.inbox.holdsArrivals());
        if (!more) {
            release(ch);
            ch.received++;
            ch.deliver(PacketType.DATA, r.message(), true);
        }
    }

    private void hold(Channel ch, int bytes) throws ProtocolException {
        heldBytes += bytes;
        if (heldBytes > config.maxReassemblyBytes()) {
            throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "channel " + ch.id() + ": fragmented messages in progress hold "
                    + heldBytes + " bytes, over this stream's reassembly limit of " + config.maxReassemblyBytes());
        }
    }

    /** The channel's message is complete, or the channel is gone: its buffer no longer counts. */
    void release(Channel ch) {
        Reassembly r = ch.reassembly;
        if (r != null) {
            heldBytes -= r.capacity();
            inProgress--;
            ch.reassembly = null;
        }
    }

    /** Bytes held by messages in progress (a monitoring value off the loop). */
    long heldBytes() {
        return heldBytes;
    }

    /** The channel whose fragmented message saw no fragment for the reassembly timeout, as an error; null if none. */
    ProtocolException timedOut(List<Channel> channels) {
        if (inProgress == 0) {
            return null;
        }
        long now = clock.nanoTime();
        long timeout = config.reassemblyTimeout().toNanos();
        for (Channel ch : channels) {
            Reassembly r = ch.reassembly;
            if (r != null && now - r.lastFragmentNanos > timeout) {
                return new ProtocolException(ErrorCode.REASSEMBLY_TIMEOUT, "channel " + ch.id() + ": no fragment of its "
                        + r.total + "-byte message for " + config.reassemblyTimeout().toMillis() + " ms (" + r.received() + " bytes received)");
            }
        }
        return null;
    }
}
