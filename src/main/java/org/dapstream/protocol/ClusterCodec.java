package org.dapstream.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Byte layouts of the CLUSTER channel messages (all integers little-endian; {@code name} is
 * {@code name_len u8} (1..255) then that many bytes of UTF-8):
 *
 * <pre>
 * client to node
 * JOIN     01 | request u32 | name                                                  (7+ bytes)
 * LEAVE    02 | request u32 | name                                                  (7+ bytes)
 * PUBLISH  03 | name | payload (to the end, may be empty)                           (3+ bytes)
 * SEND     04 | name | key_len u8 | key (0..255 bytes) | payload (to the end)       (4+ bytes)
 * node to client
 * JOINED   81 | request u32 | ref u32 | members u32                                 (13 bytes)
 * LEFT     82 | request u32 | ref u32                                               (9 bytes)
 * REFUSED  83 | request u32 | code u16 | reason_len u16 | reason UTF-8 (0..512)     (9+ bytes)
 * MESSAGE  84 | ref u32 | flags u8 (0x01 balanced) | origin u64 | publisher u32 | seq u64
 *             | payload (to the end)                                                (26+ bytes)
 * GAP      85 | ref u32 | missed u64                                                (13 bytes)
 * </pre>
 *
 * A layout with a fixed end (all but PUBLISH, SEND and MESSAGE) must end there: trailing bytes
 * are an error, so a later version extends the protocol with new kinds, never silently.
 * MESSAGE is the hot path: {@link #writeMessage} puts header and payload into one array with
 * one copy, and {@link #decode} returns the payload as a slice of the received bytes.
 */
public final class ClusterCodec {
    /** Longest cluster name in UTF-8 bytes (its length is a u8; 0 is not a name). */
    public static final int MAX_NAME_BYTES = 255;
    /** Longest SEND key (its length is a u8). */
    public static final int MAX_KEY_BYTES = 255;
    /** Longest REFUSED reason, as for every other reason of the protocol. */
    public static final int MAX_REASON_BYTES = CloseReason.MAX_REASON_BYTES;
    public static final int JOINED_SIZE = 13;
    public static final int LEFT_SIZE = 9;
    public static final int GAP_SIZE = 13;
    /** REFUSED without reason: kind, request, code, reason_len. */
    public static final int REFUSED_MIN_SIZE = 9;
    /** MESSAGE before its payload: kind, ref, flags, origin, publisher, seq. */
    public static final int MESSAGE_HEADER_SIZE = 26;

    static final byte[] NO_BYTES = new byte[0];

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ClusterCodec() {
    }

    /**
     * The UTF-8 bytes of a cluster name, checked: 1..255 bytes. Encode a name once and pass the
     * bytes to the hot-path writers of this class and {@link LinkCodec}.
     */
    public static byte[] nameBytes(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        requireName(bytes);
        return bytes;
    }

    static void requireName(byte[] name) {
        if (name.length == 0 || name.length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("cluster name is " + name.length + " bytes of UTF-8, must be 1.." + MAX_NAME_BYTES);
        }
    }

    public static byte[] encode(ClusterMessage message) {
        if (message instanceof ClusterMessage.Join m) {
            return requestAndName(ClusterMessage.KIND_JOIN, m.request(), m.name());
        }
        if (message instanceof ClusterMessage.Leave m) {
            return requestAndName(ClusterMessage.KIND_LEAVE, m.request(), m.name());
        }
        if (message instanceof ClusterMessage.Publish m) {
            byte[] name = nameBytes(m.name());
            ByteBuffer payload = m.payload();
            ByteBuffer b = allocate(2 + name.length + payload.remaining()).put((byte) ClusterMessage.KIND_PUBLISH);
            return b.put((byte) name.length).put(name).put(payload.duplicate()).array();
        }
        if (message instanceof ClusterMessage.Send m) {
            byte[] name = nameBytes(m.name());
            if (m.key().length > MAX_KEY_BYTES) {
                throw new IllegalArgumentException("SEND key is " + m.key().length + " bytes, at most " + MAX_KEY_BYTES);
            }
            ByteBuffer payload = m.payload();
            ByteBuffer b = allocate(3 + name.length + m.key().length + payload.remaining()).put((byte) ClusterMessage.KIND_SEND);
            return b.put((byte) name.length).put(name).put((byte) m.key().length).put(m.key()).put(payload.duplicate()).array();
        }
        if (message instanceof ClusterMessage.Joined m) {
            requireU32("members", m.members());
            return allocate(JOINED_SIZE).put((byte) ClusterMessage.KIND_JOINED).putInt(m.request()).putInt(m.ref())
                    .putInt((int) m.members()).array();
        }
        if (message instanceof ClusterMessage.Left m) {
            return allocate(LEFT_SIZE).put((byte) ClusterMessage.KIND_LEFT).putInt(m.request()).putInt(m.ref()).array();
        }
        if (message instanceof ClusterMessage.Refused m) {
            if (m.code() < 0 || m.code() > 0xFFFF) {
                throw new IllegalArgumentException("code is a u16: " + m.code());
            }
            byte[] reason = CloseReason.truncate(m.reason());
            return allocate(REFUSED_MIN_SIZE + reason.length).put((byte) ClusterMessage.KIND_REFUSED).putInt(m.request())
                    .putShort((short) m.code()).putShort((short) reason.length).put(reason).array();
        }
        if (message instanceof ClusterMessage.Message m) {
            return encodeMessage(m.ref(), m.balanced(), m.origin().value(), m.publisher(), m.seq(), m.payload());
        }
        if (message instanceof ClusterMessage.Gap m) {
            return allocate(GAP_SIZE).put((byte) ClusterMessage.KIND_GAP).putInt(m.ref()).putLong(m.missed()).array();
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** MESSAGE as an exact-size array: header and {@code payload[offset, offset + length)}, one copy. */
    public static byte[] encodeMessage(int ref, boolean balanced, long origin, int publisher, long seq,
            byte[] payload, int offset, int length) {
        byte[] out = new byte[MESSAGE_HEADER_SIZE + length];
        writeMessage(out, 0, ref, balanced, origin, publisher, seq, payload, offset, length);
        return out;
    }

    /** MESSAGE as an exact-size array; the payload is {@code payload}'s position..limit, which does not move. */
    public static byte[] encodeMessage(int ref, boolean balanced, long origin, int publisher, long seq, ByteBuffer payload) {
        byte[] out = new byte[MESSAGE_HEADER_SIZE + payload.remaining()];
        writeMessage(out, 0, ref, balanced, origin, publisher, seq, payload);
        return out;
    }

    /**
     * Writes MESSAGE at {@code dst[at]}: header and {@code payload[offset, offset + length)}.
     * Returns the index after the last byte written.
     */
    public static int writeMessage(byte[] dst, int at, int ref, boolean balanced, long origin, int publisher, long seq,
            byte[] payload, int offset, int length) {
        int p = writeMessageHeader(dst, at, ref, balanced, origin, publisher, seq, length);
        System.arraycopy(payload, offset, dst, p, length);
        return p + length;
    }

    /** As {@link #writeMessage(byte[], int, int, boolean, long, int, long, byte[], int, int)}, the payload from a buffer (not moved). */
    public static int writeMessage(byte[] dst, int at, int ref, boolean balanced, long origin, int publisher, long seq,
            ByteBuffer payload) {
        int length = payload.remaining();
        int p = writeMessageHeader(dst, at, ref, balanced, origin, publisher, seq, length);
        payload.get(payload.position(), dst, p, length);
        return p + length;
    }

    private static int writeMessageHeader(byte[] dst, int at, int ref, boolean balanced, long origin, int publisher, long seq,
            int payloadLength) {
        if (at < 0 || payloadLength < 0 || dst.length - at < MESSAGE_HEADER_SIZE + payloadLength) {
            throw new IndexOutOfBoundsException("MESSAGE of " + (MESSAGE_HEADER_SIZE + payloadLength) + " bytes at " + at
                    + " does not fit an array of " + dst.length);
        }
        dst[at] = (byte) ClusterMessage.KIND_MESSAGE;
        INT.set(dst, at + 1, ref);
        dst[at + 5] = (byte) (balanced ? ClusterMessage.FLAG_BALANCED : 0);
        LONG.set(dst, at + 6, origin);
        INT.set(dst, at + 14, publisher);
        LONG.set(dst, at + 18, seq);
        return at + MESSAGE_HEADER_SIZE;
    }

    public static ClusterMessage decode(byte[] payload) throws ProtocolException {
        return decode(ByteBuffer.wrap(payload));
    }

    /**
     * Decodes {@code payload.position()..limit()} without moving the position. Payload fields
     * are slices of {@code payload}'s bytes, not copies.
     */
    public static ClusterMessage decode(ByteBuffer payload) throws ProtocolException {
        if (!payload.hasRemaining()) {
            throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, "empty CLUSTER message");
        }
        int kind = payload.get(payload.position()) & 0xFF;
        switch (kind) {
            case ClusterMessage.KIND_JOIN -> {
                PayloadCursor c = new PayloadCursor(payload, "JOIN");
                ClusterMessage.Join m = new ClusterMessage.Join(c.u32("request"), c.name());
                c.end();
                return m;
            }
            case ClusterMessage.KIND_LEAVE -> {
                PayloadCursor c = new PayloadCursor(payload, "LEAVE");
                ClusterMessage.Leave m = new ClusterMessage.Leave(c.u32("request"), c.name());
                c.end();
                return m;
            }
            case ClusterMessage.KIND_PUBLISH -> {
                PayloadCursor c = new PayloadCursor(payload, "PUBLISH");
                return new ClusterMessage.Publish(c.name(), c.rest());
            }
            case ClusterMessage.KIND_SEND -> {
                PayloadCursor c = new PayloadCursor(payload, "SEND");
                String name = c.name();
                byte[] key = c.bytes(c.u8("key_len"), "key");
                return new ClusterMessage.Send(name, key, c.rest());
            }
            case ClusterMessage.KIND_JOINED -> {
                PayloadCursor c = new PayloadCursor(payload, "JOINED");
                ClusterMessage.Joined m = new ClusterMessage.Joined(c.u32("request"), c.u32("ref"), c.u32Unsigned("members"));
                c.end();
                return m;
            }
            case ClusterMessage.KIND_LEFT -> {
                PayloadCursor c = new PayloadCursor(payload, "LEFT");
                ClusterMessage.Left m = new ClusterMessage.Left(c.u32("request"), c.u32("ref"));
                c.end();
                return m;
            }
            case ClusterMessage.KIND_REFUSED -> {
                PayloadCursor c = new PayloadCursor(payload, "REFUSED");
                int request = c.u32("request");
                int code = c.u16("code");
                int reasonLength = c.u16("reason_len");
                if (reasonLength > MAX_REASON_BYTES) {
                    throw c.malformed("REFUSED reason_len is " + reasonLength + ", limit " + MAX_REASON_BYTES);
                }
                ClusterMessage.Refused m = new ClusterMessage.Refused(request, code, c.text(reasonLength, "reason"));
                c.end();
                return m;
            }
            case ClusterMessage.KIND_MESSAGE -> {
                PayloadCursor c = new PayloadCursor(payload, "MESSAGE");
                int ref = c.u32("ref");
                int flags = c.u8("flags");
                if ((flags & ~ClusterMessage.FLAGS_DEFINED) != 0) {
                    throw c.malformed(String.format("MESSAGE flags 0x%02x; only 0x%02x (balanced) is defined", flags,
                            ClusterMessage.FLAGS_DEFINED));
                }
                return new ClusterMessage.Message(ref, flags != 0, new NodeAddress(c.u64("origin")), c.u32("publisher"),
                        c.u64("seq"), c.rest());
            }
            case ClusterMessage.KIND_GAP -> {
                PayloadCursor c = new PayloadCursor(payload, "GAP");
                ClusterMessage.Gap m = new ClusterMessage.Gap(c.u32("ref"), c.u64("missed"));
                c.end();
                return m;
            }
            default -> throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE,
                    String.format("unknown CLUSTER message kind 0x%02x", kind));
        }
    }

    private static byte[] requestAndName(int kind, int request, String text) {
        byte[] name = nameBytes(text);
        return allocate(6 + name.length).put((byte) kind).putInt(request).put((byte) name.length).put(name).array();
    }

    static void requireU32(String field, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(field + " is a u32: " + value);
        }
    }

    static ByteBuffer allocate(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
