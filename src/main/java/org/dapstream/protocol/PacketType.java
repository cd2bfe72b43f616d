package org.dapstream.protocol;

/**
 * The {@code type} byte of a frame header (the seed's {@code DAP_STREAM_PKT_TYPE_*}).
 * Any other value is a protocol error ({@link ErrorCode#UNKNOWN_PACKET_TYPE}).
 */
public enum PacketType {
    /** Application data of a channel. */
    DATA(0x01),
    /** Control messages: on ch 0 the stream's own ({@link ControlMessage}); on a channel, application control. */
    CONTROL(0x02),
    /** Ping/pong on ch 0 ({@link KeepAlivePayload}). */
    KEEPALIVE(0x03),
    /** Orderly close of a channel, or of the stream on ch 0 ({@link CloseReason}). */
    CLOSE(0x04),
    /** Error close of a channel, or of the stream on ch 0 ({@link CloseReason}). */
    ERROR(0x05);

    private static final PacketType[] BY_CODE = new PacketType[256];

    static {
        for (PacketType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    PacketType(int code) {
        this.code = code;
    }

    /** The wire value. */
    public int code() {
        return code;
    }

    /** The type for a wire value, or {@code null} when the value names no type. */
    public static PacketType fromCode(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
