package org.dapstream.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the fields of one CLUSTER or LINK message in order, little-endian, and names the
 * message and the field in every refusal (MALFORMED_CLUSTER_MESSAGE), so the peer learns
 * exactly which byte was wrong. Reads at absolute indexes, whatever the buffer's byte order:
 * the caller's buffer never moves, and no duplicate of it is made on the hot path.
 */
final class PayloadCursor {
    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Slots of the cache of decoded names: a node relays messages of a few clusters, so the
     * same names are decoded on every message; a hit costs a compare instead of a String.
     * Bounded: at most this many names of at most 255 bytes.
     */
    static final int NAME_CACHE_SLOTS = 64;
    /** Written racily by design: entries are immutable, so a reader sees a whole entry or an older one. */
    private static final CachedName[] NAMES = new CachedName[NAME_CACHE_SLOTS];

    private record CachedName(byte[] utf8, String name) {
    }

    private final ByteBuffer b;
    private final int limit;
    private final String message;
    private int at;

    PayloadCursor(ByteBuffer payload, String message) {
        this.b = payload;
        this.limit = payload.limit();
        this.message = message;
        this.at = payload.position() + 1; // after the kind, already read by the codec
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return b.get(at++) & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        int v = Short.toUnsignedInt((short) SHORT.get(b, at));
        at += 2;
        return v;
    }

    int u32(String field) throws ProtocolException {
        need(4, field);
        int v = (int) INT.get(b, at);
        at += 4;
        return v;
    }

    long u32Unsigned(String field) throws ProtocolException {
        return Integer.toUnsignedLong(u32(field));
    }

    long u64(String field) throws ProtocolException {
        need(8, field);
        long v = (long) LONG.get(b, at);
        at += 8;
        return v;
    }

    /** A cluster name: {@code name_len u8} (1..255) then that many bytes of UTF-8. */
    String name() throws ProtocolException {
        int length = u8("name_len");
        if (length == 0) {
            throw malformed(message + " name_len is 0; a cluster name is 1.." + ClusterCodec.MAX_NAME_BYTES + " bytes");
        }
        if (!b.hasArray() || length > limit - at) {
            return text(length, "name");
        }
        byte[] array = b.array();
        int from = b.arrayOffset() + at;
        int slot = (length * 31 + array[from] * 7 + array[from + length - 1]) & (NAME_CACHE_SLOTS - 1);
        CachedName cached = NAMES[slot];
        if (cached != null && Arrays.equals(cached.utf8, 0, cached.utf8.length, array, from, from + length)) {
            at += length;
            return cached.name;
        }
        String name = text(length, "name"); // only a valid name is cached
        NAMES[slot] = new CachedName(Arrays.copyOfRange(array, from, from + length), name);
        return name;
    }

    /** {@code length} bytes of strict UTF-8 (the length was read before). */
    String text(int length, String field) throws ProtocolException {
        if (length > limit - at) {
            throw malformed(message + " " + field + " is " + length + " bytes, but only " + (limit - at) + " follow");
        }
        int start = at;
        at += length;
        return decodeUtf8(b, start, length, field);
    }

    /** {@code length} bytes copied out (small fields such as a key). */
    byte[] bytes(int length, String field) throws ProtocolException {
        if (length > limit - at) {
            throw malformed(message + " " + field + " is " + length + " bytes, but only " + (limit - at) + " follow");
        }
        if (length == 0) {
            return ClusterCodec.NO_BYTES;
        }
        byte[] out = new byte[length];
        b.get(at, out, 0, length);
        at += length;
        return out;
    }

    /** Bytes not read yet. */
    int remaining() {
        return limit - at;
    }

    /** The rest of the payload as a slice of the decoded buffer: no copy. */
    ByteBuffer rest() {
        ByteBuffer slice = b.slice(at, limit - at);
        at = limit;
        return slice;
    }

    /** The layout ends here: a byte more is an error, so later versions extend by new kinds only. */
    void end() throws ProtocolException {
        if (at < limit) {
            throw malformed(message + " has " + (limit - at) + " trailing bytes after its last field");
        }
    }

    ProtocolException malformed(String text) {
        return new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, text);
    }

    private void need(int n, String field) throws ProtocolException {
        if (limit - at < n) {
            throw malformed(message + " is truncated: " + field + " needs " + n + " bytes, " + (limit - at) + " remain");
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
