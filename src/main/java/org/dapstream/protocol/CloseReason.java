package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Payload of CLOSE and ERROR frames: {@code code u16 LE} then the reason as UTF-8 to the end
 * of the payload (at most {@link #MAX_REASON_BYTES}).
 */
public record CloseReason(int code, String reason) {
    /** Longest reason a sender writes and a receiver accepts, in UTF-8 bytes. */
    public static final int MAX_REASON_BYTES = 512;

    public CloseReason {
        if (code < 0 || code > 0xFFFF) {
            throw new IllegalArgumentException("close code is a u16: " + code);
        }
        reason = reason == null ? "" : reason;
    }

    public static CloseReason of(ErrorCode code, String reason) {
        return new CloseReason(code.code(), reason);
    }

    /** The known code, or null for a code from a newer peer. */
    public ErrorCode errorCode() {
        return ErrorCode.fromCode(code);
    }

    /** Encodes; a reason over the limit is cut at a character boundary, never sent whole. */
    public byte[] encode() {
        byte[] text = truncate(reason);
        byte[] out = new byte[2 + text.length];
        out[0] = (byte) code;
        out[1] = (byte) (code >>> 8);
        System.arraycopy(text, 0, out, 2, text.length);
        return out;
    }

    /** Decodes {@code payload.position()..limit()} without moving the position. */
    public static CloseReason decode(ByteBuffer payload) throws ProtocolException {
        int n = payload.remaining();
        if (n < 2) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR payload is " + n + " bytes, needs at least 2 for the code");
        }
        if (n - 2 > MAX_REASON_BYTES) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR reason is " + (n - 2) + " bytes, limit " + MAX_REASON_BYTES);
        }
        ByteBuffer le = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int code = Short.toUnsignedInt(le.getShort());
        return new CloseReason(code, Utf8.decode(le, ErrorCode.MALFORMED_FRAME, "CLOSE/ERROR reason"));
    }

    static byte[] truncate(String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        if (text.length <= MAX_REASON_BYTES) {
            return text;
        }
        int end = MAX_REASON_BYTES;
        while (end > 0 && (text[end] & 0xC0) == 0x80) {
            end--; // back off to the start of a UTF-8 sequence
        }
        byte[] cut = new byte[end];
        System.arraycopy(text, 0, cut, 0, end);
        return cut;
    }

    @Override
    public String toString() {
        ErrorCode known = errorCode();
        return (known != null ? known.name() : "code") + String.format("(0x%04x)", code) + (reason.isEmpty() ? "" : ": " + reason);
    }
}
