package org.dapstream.protocol;

import java.util.List;

/**
 * The stream's own messages: the payload of CONTROL frames on ch 0. The first payload byte
 * is the message kind; {@link ControlCodec} has the byte layouts, drawn once.
 */
public sealed interface ControlMessage {
    /** Protocol version spoken by this implementation. */
    int PROTOCOL_VERSION = 1;

    int KIND_HELLO = 0x01;
    int KIND_WELCOME = 0x02;
    int KIND_OPEN_CHANNEL = 0x03;
    int KIND_OPEN_ACK = 0x04;
    int KIND_OPEN_REJECT = 0x05;
    // 0x06..0x09 and 0x14..0x16: the secure and the abbreviated handshake (HandshakeMessage, HandshakeCodec);
    // 0x0A..0x0D key messages; 0x0E, 0x0F reserved.
    int KIND_KEY_UPDATE = 0x0A;
    int KIND_CHANNEL_KEY = 0x0B;
    int KIND_CHANNEL_KEY_ACK = 0x0C;
    int KIND_CHANNEL_KEY_ACTIVE = 0x0D;

    /** CHANNEL_KEY mode: the channel key is derived from the session's secrets. */
    int KEY_MODE_DERIVED = 1;
    /** CHANNEL_KEY mode: the channel key is derived from an application key both ends hold. */
    int KEY_MODE_APPLICATION = 2;
    /** Bytes of the key check value in CHANNEL_KEY. */
    int KEY_CHECK_SIZE = 8;
    int KIND_GOAWAY = 0x10;
    int KIND_WINDOW_UPDATE = 0x11;
    /** Acknowledges messages delivered on a channel; only on streams that agreed {@link Features#ACKS}. */
    int KIND_ACK = 0x12;
    /** A resumption ticket, acceptor → connector; only on streams that agreed {@link Features#RESUMPTION}. */
    int KIND_TICKET = 0x13;
    /** What each side received on each channel it carries over; the first frame after a resumed handshake. */
    int KIND_RESUMED = 0x17;
    /** Acceptor → connector, before RESUMED: the session's owner was lost; nothing of its channels survived (PROTOCOL.md 33.7). */
    int KIND_SESSION_GAP = 0x18;

    /** OPEN_CHANNEL option: both sides may send COMPRESSED frames on the channel (adaptive LZ4). */
    int OPTION_COMPRESSION = 0x01;
    /** Every OPEN_CHANNEL option bit this version defines; the others must be 0. */
    int OPTIONS_DEFINED = OPTION_COMPRESSION;

    /** Connecting side's first frame: the version it speaks and the node address it claims. */
    record Hello(int version, int features, NodeAddress node) implements ControlMessage {
    }

    /**
     * Accepting side's answer: version, its node address, the session the stream belongs
     * to, and its keepalive timeout so the connector pings often enough.
     */
    record Welcome(int version, int features, NodeAddress node, int sessionId, int keepAliveTimeoutMillis) implements ControlMessage {
    }

    /** Opens channel {@code channelId} of {@code type}; the opener sends nothing on it before OPEN_ACK. */
    record OpenChannel(int channelId, ChannelType type, int options) implements ControlMessage {
        /** True when the opener offers compression on the channel. */
        public boolean compression() {
            return (options & OPTION_COMPRESSION) != 0;
        }
    }

    /** The channel is open; both sides may send on it. */
    record OpenAck(int channelId) implements ControlMessage {
    }

    /** The channel was not opened; the id is free again. */
    record OpenReject(int channelId, int code, String reason) implements ControlMessage {
    }

    /**
     * Encrypted streams: every frame the sender sends after this one under the key of
     * {@code channelId} (0: the stream's key) is sealed under key epoch {@code epoch}, which
     * is the previous epoch + 1.
     */
    record KeyUpdate(int channelId, long epoch) implements ControlMessage {
    }

    /**
     * Encrypted streams: the sender asks to give channel {@code channelId} its own key
     * ({@code mode} derived or application), {@code check} proves which key without revealing it.
     */
    record ChannelKey(int channelId, int mode, byte[] check) implements ControlMessage {
    }

    /**
     * Answer to CHANNEL_KEY: {@code status} 0 accepts (the sender's frames on the channel
     * after this one use the channel key), otherwise an error code (KEY_REJECTED).
     */
    record ChannelKeyAck(int channelId, int status) implements ControlMessage {
    }

    /** The requester's frames on the channel after this one use the channel key. */
    record ChannelKeyActive(int channelId) implements ControlMessage {
    }

    /**
     * The sender is going away (draining for shutdown): the receiver opens no more channels,
     * finishes what it is doing within {@code graceMillis} and closes the stream; after that
     * the sender closes it with CLOSE GOING_AWAY. {@code alternate} is another member to use,
     * {@code host:port}, or empty when none is known.
     */
    record GoAway(long graceMillis, String alternate, String reason) implements ControlMessage {
        public GoAway {
            alternate = alternate == null ? "" : alternate;
            reason = reason == null ? "" : reason;
        }

        public boolean hasAlternate() {
            return !alternate.isEmpty();
        }
    }

    /**
     * Flow control: the sender of this message grants its peer {@code increment} more bytes
     * of application payload on channel {@code channelId} (0: on the stream as a whole).
     */
    record WindowUpdate(int channelId, long increment) implements ControlMessage {
    }

    /**
     * The sender has handed {@code delivered} messages of channel {@code channelId} to its
     * application since the channel opened (cumulative; unsigned 64-bit on the wire).
     */
    record Ack(int channelId, long delivered) implements ControlMessage {
    }

    /**
     * The acceptor's ticket for resuming the session later: the session's {@code ticketNumber}-th
     * (u32, from 1), usable for {@code lifetimeSeconds} (u32); {@code ticket} is opaque to the
     * connector (1..512 bytes).
     */
    record Ticket(long ticketNumber, long lifetimeSeconds, byte[] ticket) implements ControlMessage {
    }

    /** For each channel the sender carries over into the resumed session, how many messages it has received on it. */
    record Resumed(List<ChannelReceived> channels) implements ControlMessage {
        public Resumed {
            channels = List.copyOf(channels);
        }
    }

    /**
     * One channel of RESUMED: {@code received} messages of channel {@code channelId} were
     * received (unsigned 64-bit on the wire); the peer resends from {@code received + 1}.
     */
    record ChannelReceived(int channelId, long received) {
    }

    /**
     * The acceptor resumed the session, but its owner {@code lostOwner} is gone (crashed) and
     * took the session's channels with it: each channel the connector carried ends with a gap
     * notice, and the session goes on without them (PROTOCOL.md section 33.7).
     */
    record SessionGap(NodeAddress lostOwner) implements ControlMessage {
    }
}
