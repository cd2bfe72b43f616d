package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one CLUSTER or LINK message in order, little-endian, and names the
 * message and the field in every refusal (MALFORMED_CLUSTER_MESSAGE), so the peer learns
 * exactly which byte was wrong. Reads a duplicate: the caller's buffer never moves.
 */
final class PayloadCursor {
    private final ByteBuffer b;
    private final String message;

    PayloadCursor(ByteBuffer payload, String message) {
        this.b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.message = message;
        b.get(); // the kind, already read by the codec
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return b.get() & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        return Short.toUnsignedInt(b.getShort());
    }

    int u32(String field) throws ProtocolException {
        need(4, field);
        return b.getInt();
    }

    long u32Unsigned(String field) throws ProtocolException {
        return Integer.toUnsignedLong(u32(field));
    }

    long u64(String field) throws ProtocolException {
        need(8, field);
        return b.getLong();
    }

    /** A cluster name: {@code name_len u8} (1..255) then that many bytes of UTF-8. */
    String name() throws ProtocolException {
        int length = u8("name_len");
        if (length == 0) {
            throw malformed(message + " name_len is 0; a cluster name is 1.." + ClusterCodec.MAX_NAME_BYTES + " bytes");
        }
        return text(length, "name");
    }

    /** {@code length} bytes of strict UTF-8 (the length was read before). */
    String text(int length, String field) throws ProtocolException {
        if (length > b.remaining()) {
            throw malformed(message + " " + field + " is " + length + " bytes, but only " + b.remaining() + " follow");
        }
        int start = b.position();
        b.position(start + length);
        return decodeUtf8(b, start, length, field);
    }

    /** {@code length} bytes copied out (small fields such as a key). */
    byte[] bytes(int length, String field) throws ProtocolException {
        if (length > b.remaining()) {
            throw malformed(message + " " + field + " is " + length + " bytes, but only " + b.remaining() + " follow");
        }
        if (length == 0) {
            return ClusterCodec.NO_BYTES;
        }
        byte[] out = new byte[length];
        b.get(out);
        return out;
    }

    /** The rest of the payload as a slice of the decoded buffer: no copy. */
    ByteBuffer rest() {
        ByteBuffer slice = b.slice();
        b.position(b.limit());
        return slice;
    }

    /** The layout ends here: a byte more is an error, so later versions extend by new kinds only. */
    void end() throws ProtocolException {
        if (b.hasRemaining()) {
            throw malformed(message + " has " + b.remaining() + " trailing bytes after its last field");
        }
    }

    ProtocolException malformed(String text) {
        return new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, text);
    }

    private void need(int n, String field) throws ProtocolException {
        if (b.remaining() < n) {
            throw malformed(message + " is truncated: " + field + " needs " + n + " bytes, " + b.remaining() + " remain");
        }
    }

    /**
     * Names are short and nearly always ASCII: those become a String without a decoder (one
     * copy, compact Latin-1 storage). Anything else goes through the strict decoder.
     */
    private String decodeUtf8(ByteBuffer src, int start, int length, String field) throws ProtocolException {
        if (src.hasArray()) {
            byte[] array = src.array();
            int from = src.arrayOffset() + start;
            if (ascii(array, from, length)) {
                return new String(array, from, length, StandardCharsets.ISO_8859_1);
            }
        }
        ByteBuffer slice = src.duplicate();
        slice.limit(start + length).position(start);
        return Utf8.decode(slice, ErrorCode.MALFORMED_CLUSTER_MESSAGE, message + " " + field);
    }

    private static boolean ascii(byte[] bytes, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
