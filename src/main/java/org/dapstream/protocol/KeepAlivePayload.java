package org.dapstream.protocol;

import java.nio.ByteBuffer;

/**
 * Payload of a KEEPALIVE frame (ch 0 only), exactly {@link #SIZE} bytes:
 * {@code kind u8} (0x00 ping, 0x01 pong) then {@code timestamp u64 LE}. A pong echoes the
 * ping's timestamp unchanged; only the pinger reads it, so its clock is its own business.
 */
public record KeepAlivePayload(boolean pong, long timestamp) {
    public static final int SIZE = 9;
    public static final int KIND_PING = 0x00;
    public static final int KIND_PONG = 0x01;

    public byte[] encode() {
        byte[] out = new byte[SIZE];
        encode(out, 0, pong, timestamp);
        return out;
    }

    public static void encode(byte[] dst, int offset, boolean pong, long timestamp) {
        dst[offset] = (byte) (pong ? KIND_PONG : KIND_PING);
        for (int i = 0; i < 8; i++) {
            dst[offset + 1 + i] = (byte) (timestamp >>> (8 * i));
        }
    }

    /** Decodes {@code payload.position()..limit()} without moving the position. */
    public static KeepAlivePayload decode(ByteBuffer payload) throws ProtocolException {
        if (payload.remaining() != SIZE) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "KEEPALIVE payload is " + payload.remaining() + " bytes, must be " + SIZE);
        }
        int p = payload.position();
        int kind = payload.get(p) & 0xFF;
        if (kind != KIND_PING && kind != KIND_PONG) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, String.format("KEEPALIVE kind 0x%02x is neither ping (0x00) nor pong (0x01)", kind));
        }
        long ts = 0;
        for (int i = 7; i >= 0; i--) {
            ts = (ts << 8) | (payload.get(p + 1 + i) & 0xFFL);
        }
        return new KeepAlivePayload(kind == KIND_PONG, ts);
    }
}
