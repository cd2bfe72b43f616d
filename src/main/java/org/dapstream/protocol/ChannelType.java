package org.dapstream.protocol;

/**
 * The type of an open channel, carried in OPEN_CHANNEL (the seed's {@code DAP_STREAM_CH_ID_*}).
 * Many channels of one type may be open on a stream. 0x07..0x0F are reserved for future
 * standard types; 0x10..0xFF are CUSTOM and belong to applications.
 */
public record ChannelType(int code) {
    public static final ChannelType CONTROL = new ChannelType(0x00);
    public static final ChannelType FILE = new ChannelType(0x01);
    public static final ChannelType SERVICE = new ChannelType(0x02);
    public static final ChannelType SECURITY = new ChannelType(0x03);
    public static final ChannelType MEDIA = new ChannelType(0x04);
    /**
     * Node-to-node cluster link ({@code LinkMessage}): served only on the cluster port, and only
     * to a peer that proved it is an endorsed member of the cluster.
     */
    public static final ChannelType LINK = new ChannelType(0x05);
    /** A client's membership in named clusters ({@code ClusterMessage}): join, leave, publish, receive. */
    public static final ChannelType CLUSTER = new ChannelType(0x06);
    /** The first custom type (the seed's {@code DAP_STREAM_CH_ID_CUSTOM}). */
    public static final int FIRST_CUSTOM = 0x10;
    /** Diagnostic type served by the built-in echo handler: every packet comes back. */
    public static final ChannelType ECHO = new ChannelType(0xF0);
    /** Diagnostic type served by the built-in discard handler: packets are counted and dropped. */
    public static final ChannelType DISCARD = new ChannelType(0xF1);

    public ChannelType {
        if (code < 0 || code > 0xFF) {
            throw new IllegalArgumentException("channel type is a u8: " + code);
        }
    }

    /** A custom type, 0x10..0xFF. */
    public static ChannelType custom(int code) {
        if (code < FIRST_CUSTOM || code > 0xFF) {
            throw new IllegalArgumentException("custom channel types are 0x10..0xFF, got 0x" + Integer.toHexString(code));
        }
        return new ChannelType(code);
    }

    /** True for 0x07..0x0F, which no one may open until a protocol version defines them. */
    public boolean reserved() {
        return code > CLUSTER.code && code < FIRST_CUSTOM;
    }

    public boolean custom() {
        return code >= FIRST_CUSTOM;
    }

    @Override
    public String toString() {
        return switch (code) {
            case 0x00 -> "CONTROL";
            case 0x01 -> "FILE";
            case 0x02 -> "SERVICE";
            case 0x03 -> "SECURITY";
            case 0x04 -> "MEDIA";
            case 0x05 -> "LINK";
            case 0x06 -> "CLUSTER";
            case 0xF0 -> "CUSTOM(0xf0 echo)";
            case 0xF1 -> "CUSTOM(0xf1 discard)";
            default -> (custom() ? "CUSTOM" : "RESERVED") + String.format("(0x%02x)", code);
        };
    }
}
