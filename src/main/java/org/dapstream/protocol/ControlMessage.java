package org.dapstream.protocol;

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
    // 0x06..0x0F are reserved for the secure handshake and key messages (issue 3).
    int KIND_GOAWAY = 0x10;

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
    }

    /** The channel is open; both sides may send on it. */
    record OpenAck(int channelId) implements ControlMessage {
    }

    /** The channel was not opened; the id is free again. */
    record OpenReject(int channelId, int code, String reason) implements ControlMessage {
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
}
