package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.util.ArrayList;
import java.util.List;

/**
 * Acknowledgements on a stream that agreed them (PROTOCOL.md section 28), both directions.
 * Receiving, it counts the messages each channel delivered to the application and sends one
 * cumulative ACK per channel that delivered something, at the end of each batch of input
 * (and before the channel's CLOSE or ERROR, never after). Sending, it keeps every message
 * written on a channel in the channel's {@link RetainedMessages} until the peer acknowledges
 * it, within the {@link SessionStore}'s bound. MEDIA channels, whose senders drop stale
 * messages by design, are neither kept nor acknowledged. Event-loop confined.
 */
final class Acknowledgements {
    /**
     * A channel's ACK goes at the end of the batch of input once it delivered this many bytes
     * since its last ACK, and every due ACK goes once the stream's channels together delivered
     * this many since the last ACKs went: the smallest session store a sender of ours may have
     * (its store is per session, the stream's), so a sender whose store filled with delivered
     * messages is not left waiting for the delay. Messages in flight, queued or held unread
     * count in the sender's store too; ACKs come as they are delivered.
     */
    static final long ACK_BYTES = SessionStore.MIN_LIMIT;
    /** Otherwise at most this long after it delivered them: what the peer keeps only waits this much longer to be let go. */
    static final long ACK_DELAY_MILLIS = 5;

    private final Stream stream;
    private final StreamTransport transport;
    /** The ACK_DELAY_MILLIS timer, while ACKs wait for it. */
    private StreamTransport.Cancellable delayed;
    /** Bytes the stream's channels delivered since ACKs last went for all of them. */
    private long deliveredSinceFlush;
    /** The session's store: a resumed stream takes over the one of the stream before it. */
    private SessionStore store;
    /** Channels that delivered messages since their last ACK. */
    private final List<Channel> due = new ArrayList<>();
    private boolean agreed;

    Acknowledgements(Stream stream, StreamTransport transport, long storeLimit) {
        this.stream = stream;
        this.transport = transport;
        this.store = new SessionStore(storeLimit);
    }

    /** The handshake agreed ACKS: every channel opened from now on is kept and acknowledged. */
    void agree() {
        agreed = true;
    }

    boolean agreed() {
        return agreed;
    }

    SessionStore store() {
        return store;
    }

    /** A resumed stream keeps its session's messages in the store they were kept in. */
    void useStore(SessionStore sessionStore) {
        store = sessionStore;
    }

    /** A channel came to exist on this stream. */
    void channelOpened(Channel ch) {
        if (agreed && !ChannelType.MEDIA.equals(ch.type())) {
            ch.retained = new RetainedMessages();
        }
    }

    // ---------------------------------------------------------------- sending side

    /** Keeps a message whose array this side owns (a copy, the array {@code send} cloned, or one the writer gave). */
    void keep(Channel ch, PacketType type, byte[] data) {
        ch.retained.add(type, data);
        store.kept(data.length);
    }

    /** The peer's ACK: what it acknowledges is let go; writers waiting on the store may go on. */
    void onAck(ControlMessage.Ack ack) throws ProtocolException {
        if (!agreed) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "ACK (kind 0x12) on a stream that did not agree the ACKS feature");
        }
        Channel ch = stream.channels.get(ack.channelId());
        if (ch == null) {
            return; // the channel ended here while the ACK was on its way (it is sent before the peer's CLOSE)
        }
        RetainedMessages kept = ch.retained;
        if (kept == null) {
            throw new ProtocolException(ErrorCode.BAD_ACK, "ACK on MEDIA channel " + ch.id() + "; MEDIA messages are not acknowledged");
        }
        long delivered = ack.delivered();
        if (Long.compareUnsigned(delivered, kept.lastAck()) < 0) {
            throw new ProtocolException(ErrorCode.BAD_ACK, "ACK of " + Long.toUnsignedString(delivered) + " messages on channel "
                    + ch.id() + " after an ACK of " + kept.lastAck());
        }
        if (Long.compareUnsigned(delivered, kept.written()) > 0) {
            throw new ProtocolException(ErrorCode.BAD_ACK, "ACK of " + Long.toUnsignedString(delivered) + " messages on channel "
                    + ch.id() + ", of which " + kept.written() + " were written");
        }
        boolean writersWait = !store.mayResume();
        store.released(kept.acknowledgeByAck(delivered));
        if (writersWait && store.mayResume()) {
            stream.gate.notifyWritable();
        }
    }

    // ---------------------------------------------------------------- receiving side

    /** A message of {@code ch} reached the application (handed to packetIn, or taken by read). */
    void delivered(Channel ch, int messages, long bytes) {
        if (ch.retained == null || ch.state != Channel.State.OPEN) {
            return; // MEDIA, or the channel is closing: its CLOSE ends what an ACK would be for
        }
        ch.delivered += messages;
        ch.deliveredSinceAck += bytes;
        deliveredSinceFlush += bytes;
        if (!ch.ackDue) {
            ch.ackDue = true;
            due.add(ch);
        }
    }

    /** Sends the ACKs that are due: at the end of a batch of input, and of any task that delivered. */
    void flush() {
        if (due.isEmpty()) {
            return;
        }
        if (deliveredSinceFlush >= ACK_BYTES) {
            flushAll(); // together the channels delivered enough: every due ACK goes now
            return;
        }
        int waiting = 0;
        for (int i = 0; i < due.size(); i++) {
            Channel ch = due.get(i);
            if (ch.ackDue && ch.deliveredSinceAck < ACK_BYTES) {
                due.set(waiting++, ch); // not enough for an ACK of its own yet: it waits for more, or the timer
            } else {
                send(ch);
            }
        }
        due.subList(waiting, due.size()).clear();
        if (waiting > 0 && delayed == null) {
            delayed = transport.after(ACK_DELAY_MILLIS, this::flushAll);
        }
    }

    /** Every ACK that is due goes now: the delay is up, or the stream's channels delivered enough together. */
    private void flushAll() {
        if (delayed != null) {
            delayed.cancel();
            delayed = null;
        }
        deliveredSinceFlush = 0;
        for (int i = 0; i < due.size(); i++) {
            send(due.get(i));
        }
        due.clear();
    }

    /** True while ACKs wait for the {@link #ACK_DELAY_MILLIS} timer. */
    boolean delayRunning() {
        return delayed != null;
    }

    /** The stream ended: no ACK goes any more (a resumption tells the delivered counts in RESUMED). */
    void ended() {
        if (delayed != null) {
            delayed.cancel();
            delayed = null;
        }
        due.clear();
    }

    /** The channel's CLOSE or ERROR goes now: its due ACK goes first, and none after. */
    void beforeChannelEnd(Channel ch) {
        if (ch.ackDue) {
            send(ch);
            due.remove(ch);
        }
    }

    private void send(Channel ch) {
        if (!ch.ackDue) {
            return;
        }
        ch.ackDue = false;
        ch.deliveredSinceAck = 0;
        if (ch.state == Channel.State.OPEN && stream.active()) {
            stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.Ack(ch.id(), ch.delivered)));
        }
    }

    /** The channel is gone: what it kept is let go. */
    void channelGone(Channel ch) {
        if (ch.retained != null) {
            boolean writersWait = !store.mayResume();
            store.released(ch.retained.clear());
            if (writersWait && store.mayResume() && stream.active()) {
                stream.gate.notifyWritable();
            }
        }
    }
}
