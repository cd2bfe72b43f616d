package org.dapstream.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Byte layouts of the LINK channel messages (all integers little-endian; {@code name} is
 * {@code name_len u8} (1..255) then that many bytes of UTF-8):
 *
 * <pre>
 * NODE          01 | state u8 (0 ready, 1 draining) | sessions u32 | streams u32
 *                  | endpoint_len u8 | endpoint UTF-8 host:port (may be empty)        (11+ bytes)
 * MEMBER_ADD    02 | name | session u32 | node u64                                    (15+ bytes)
 * MEMBER_REMOVE 03 | name | session u32 | node u64                                    (15+ bytes)
 * FORWARD       04 | name | origin u64 | publisher u32 | seq u64 | payload (to the end) (23+ bytes)
 * DELIVER       05 | name | session u32 | origin u64 | publisher u32 | seq u64
 *                  | payload (to the end)                                             (27+ bytes)
 * HANDOVER_ASK  06 | request u32 | session u32 | ticket u32                           (13 bytes)
 * HANDOVER_PART 07 | request u32 | last u8 (0 or 1) | data (to the end)              (6+ bytes)
 * HANDOVER_REFUSED 08 | request u32 | code u16 | moved_to u64 | reason UTF-8 (to the end, at most 512 bytes)
 *                                                                                    (15+ bytes)
 * SESSION_CLAIM 09 | request u32 | owner u64 | session u32 | ticket u32               (21 bytes)
 * CLAIM_GRANTED 0A | request u32                                                     (5 bytes)
 * </pre>
 *
 * NODE, MEMBER_ADD and MEMBER_REMOVE must end after their last field. FORWARD and DELIVER are
 * the hot path: {@link #writeForward} and {@link #writeDeliver} put header and payload into one
 * array with one copy, taking the name already encoded ({@link ClusterCodec#nameBytes}).
 */
public final class LinkCodec {
    /** NODE without endpoint: kind, state, sessions, streams, endpoint_len. */
    public static final int NODE_MIN_SIZE = 11;
    /** Longest NODE endpoint (its length is a u8). */
    public static final int MAX_ENDPOINT_BYTES = 255;
    /** FORWARD before its name and payload: kind, name_len, origin, publisher, seq. */
    public static final int FORWARD_FIXED_SIZE = 22;
    /** DELIVER before its name and payload: kind, name_len, session, origin, publisher, seq. */
    public static final int DELIVER_FIXED_SIZE = 26;

    /** HANDOVER_ASK: kind, request, session, ticket. */
    public static final int HANDOVER_ASK_SIZE = 13;
    /** HANDOVER_PART before its data: kind, request, last. */
    public static final int HANDOVER_PART_FIXED_SIZE = 6;
    /** SESSION_CLAIM: kind, request, owner, session, ticket. */
    public static final int SESSION_CLAIM_SIZE = 21;
    /** CLAIM_GRANTED: kind, request. */
    public static final int CLAIM_GRANTED_SIZE = 5;
    /** HANDOVER_REFUSED before its reason: kind, request, code, moved_to. */
    public static final int HANDOVER_REFUSED_FIXED_SIZE = 15;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LinkCodec() {
    }

    public static byte[] encode(LinkMessage message) {
        if (message instanceof LinkMessage.Node m) {
            ClusterCodec.requireU32("sessions", m.sessions());
            ClusterCodec.requireU32("streams", m.streams());
            byte[] endpoint = m.endpoint().getBytes(StandardCharsets.UTF_8);
            if (endpoint.length > MAX_ENDPOINT_BYTES) {
                throw new IllegalArgumentException("endpoint is " + endpoint.length + " bytes, at most " + MAX_ENDPOINT_BYTES);
            }
            if (endpoint.length > 0 && !ControlCodec.isHostPort(m.endpoint())) {
                throw new IllegalArgumentException("endpoint must be host:port, got '" + m.endpoint() + "'");
            }
            return ClusterCodec.allocate(NODE_MIN_SIZE + endpoint.length).put((byte) LinkMessage.KIND_NODE)
                    .put((byte) m.state().code()).putInt((int) m.sessions()).putInt((int) m.streams())
                    .put((byte) endpoint.length).put(endpoint).array();
        }
        if (message instanceof LinkMessage.HandOverAsk m) {
            ClusterCodec.requireU32("ticket", m.ticket());
            return ClusterCodec.allocate(HANDOVER_ASK_SIZE).put((byte) LinkMessage.KIND_HANDOVER_ASK).putInt(m.request())
                    .putInt(m.session()).putInt((int) m.ticket()).array();
        }
        if (message instanceof LinkMessage.SessionClaim m) {
            ClusterCodec.requireU32("ticket", m.ticket());
            return ClusterCodec.allocate(SESSION_CLAIM_SIZE).put((byte) LinkMessage.KIND_SESSION_CLAIM).putInt(m.request())
                    .putLong(m.owner().value()).putInt(m.session()).putInt((int) m.ticket()).array();
        }
        if (message instanceof LinkMessage.ClaimGranted m) {
            return ClusterCodec.allocate(CLAIM_GRANTED_SIZE).put((byte) LinkMessage.KIND_CLAIM_GRANTED).putInt(m.request()).array();
        }
        if (message instanceof LinkMessage.HandOverPart m) {
            ByteBuffer data = m.data().duplicate();
            return ClusterCodec.allocate(HANDOVER_PART_FIXED_SIZE + data.remaining()).put((byte) LinkMessage.KIND_HANDOVER_PART)
                    .putInt(m.request()).put((byte) (m.last() ? 1 : 0)).put(data).array();
        }
        if (message instanceof LinkMessage.HandOverRefused m) {
            byte[] reason = CloseReason.truncate(m.reason());
            return ClusterCodec.allocate(HANDOVER_REFUSED_FIXED_SIZE + reason.length).put((byte) LinkMessage.KIND_HANDOVER_REFUSED)
                    .putInt(m.request()).putShort((short) m.code().code()).putLong(m.movedTo().value()).put(reason).array();
        }
        if (message instanceof LinkMessage.MemberAdd m) {
            return member(LinkMessage.KIND_MEMBER_ADD, m.name(), m.session(), m.node());
        }
        if (message instanceof LinkMessage.MemberRemove m) {
            return member(LinkMessage.KIND_MEMBER_REMOVE, m.name(), m.session(), m.node());
        }
        if (message instanceof LinkMessage.Forward m) {
            return encodeForward(ClusterCodec.nameBytes(m.name()), m.origin().value(), m.publisher(), m.seq(), m.payload());
        }
        if (message instanceof LinkMessage.Deliver m) {
            return encodeDeliver(ClusterCodec.nameBytes(m.name()), m.session(), m.origin().value(), m.publisher(), m.seq(),
                    m.payload());
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** FORWARD as an exact-size array, one copy of the payload (position..limit, not moved). */
    public static byte[] encodeForward(byte[] name, long origin, int publisher, long seq, ByteBuffer payload) {
        byte[] out = new byte[FORWARD_FIXED_SIZE + name.length + payload.remaining()];
        writeForward(out, 0, name, origin, publisher, seq, payload);
        return out;
    }

    /** FORWARD as an exact-size array, one copy of {@code payload[offset, offset + length)}. */
    public static byte[] encodeForward(byte[] name, long origin, int publisher, long seq, byte[] payload, int offset, int length) {
        byte[] out = new byte[FORWARD_FIXED_SIZE + name.length + length];
        writeForward(out, 0, name, origin, publisher, seq, payload, offset, length);
        return out;
    }

    /** Writes FORWARD at {@code dst[at]}; returns the index after its last byte. */
    public static int writeForward(byte[] dst, int at, byte[] name, long origin, int publisher, long seq,
            byte[] payload, int offset, int length) {
        int p = writeForwardHeader(dst, at, name, origin, publisher, seq, length);
        System.arraycopy(payload, offset, dst, p, length);
        return p + length;
    }

    /** Writes FORWARD at {@code dst[at]}, the payload from a buffer (not moved); returns the index after its last byte. */
    public static int writeForward(byte[] dst, int at, byte[] name, long origin, int publisher, long seq, ByteBuffer payload) {
        int length = payload.remaining();
        int p = writeForwardHeader(dst, at, name, origin, publisher, seq, length);
        payload.get(payload.position(), dst, p, length);
        return p + length;
    }

    /** DELIVER as an exact-size array, one copy of the payload (position..limit, not moved). */
    public static byte[] encodeDeliver(byte[] name, int session, long origin, int publisher, long seq, ByteBuffer payload) {
        byte[] out = new byte[DELIVER_FIXED_SIZE + name.length + payload.remaining()];
        writeDeliver(out, 0, name, session, origin, publisher, seq, payload);
        return out;
    }

    /** DELIVER as an exact-size array, one copy of {@code payload[offset, offset + length)}. */
    public static byte[] encodeDeliver(byte[] name, int session, long origin, int publisher, long seq,
            byte[] payload, int offset, int length) {
        byte[] out = new byte[DELIVER_FIXED_SIZE + name.length + length];
        writeDeliver(out, 0, name, session, origin, publisher, seq, payload, offset, length);
        return out;
    }

    /** Writes DELIVER at {@code dst[at]}; returns the index after its last byte. */
    public static int writeDeliver(byte[] dst, int at, byte[] name, int session, long origin, int publisher, long seq,
            byte[] payload, int offset, int length) {
        int p = writeDeliverHeader(dst, at, name, session, origin, publisher, seq, length);
        System.arraycopy(payload, offset, dst, p, length);
        return p + length;
    }

    /** Writes DELIVER at {@code dst[at]}, the payload from a buffer (not moved); returns the index after its last byte. */
    public static int writeDeliver(byte[] dst, int at, byte[] name, int session, long origin, int publisher, long seq,
            ByteBuffer payload) {
        int length = payload.remaining();
        int p = writeDeliverHeader(dst, at, name, session, origin, publisher, seq, length);
        payload.get(payload.position(), dst, p, length);
        return p + length;
    }

    private static int writeForwardHeader(byte[] dst, int at, byte[] name, long origin, int publisher, long seq, int length) {
        ClusterCodec.requireName(name);
        int p = start(dst, at, "FORWARD", FORWARD_FIXED_SIZE + name.length + length, LinkMessage.KIND_FORWARD, name);
        LONG.set(dst, p, origin);
        INT.set(dst, p + 8, publisher);
        LONG.set(dst, p + 12, seq);
        return p + 20;
    }

    private static int writeDeliverHeader(byte[] dst, int at, byte[] name, int session, long origin, int publisher, long seq,
            int length) {
        ClusterCodec.requireName(name);
        int p = start(dst, at, "DELIVER", DELIVER_FIXED_SIZE + name.length + length, LinkMessage.KIND_DELIVER, name);
        INT.set(dst, p, session);
        LONG.set(dst, p + 4, origin);
        INT.set(dst, p + 12, publisher);
        LONG.set(dst, p + 16, seq);
        return p + 24;
    }

    /** Checks the room, writes kind and name; returns the index after the name. */
    private static int start(byte[] dst, int at, String what, int size, int kind, byte[] name) {
        if (at < 0 || dst.length - at < size) {
            throw new IndexOutOfBoundsException(what + " of " + size + " bytes at " + at + " does not fit an array of " + dst.length);
        }
        dst[at] = (byte) kind;
        dst[at + 1] = (byte) name.length;
        System.arraycopy(name, 0, dst, at + 2, name.length);
        return at + 2 + name.length;
    }

    public static LinkMessage decode(byte[] payload) throws ProtocolException {
        return decode(ByteBuffer.wrap(payload));
    }

    /**
     * Decodes {@code payload.position()..limit()} without moving the position. Payload fields
     * are slices of {@code payload}'s bytes, not copies.
     */
    public static LinkMessage decode(ByteBuffer payload) throws ProtocolException {
        if (!payload.hasRemaining()) {
            throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, "empty LINK message");
        }
        int kind = payload.get(payload.position()) & 0xFF;
        switch (kind) {
            case LinkMessage.KIND_NODE -> {
                PayloadCursor c = new PayloadCursor(payload, "NODE");
                int stateCode = c.u8("state");
                LinkMessage.NodeState state = LinkMessage.NodeState.fromCode(stateCode);
                if (state == null) {
                    throw c.malformed("NODE state " + stateCode + "; 0 (ready) and 1 (draining) are defined");
                }
                long sessions = c.u32Unsigned("sessions");
                long streams = c.u32Unsigned("streams");
                String endpoint = c.text(c.u8("endpoint_len"), "endpoint");
                if (!endpoint.isEmpty() && !ControlCodec.isHostPort(endpoint)) {
                    throw c.malformed("NODE endpoint '" + endpoint + "' is not host:port with a port 1..65535");
                }
                c.end();
                return new LinkMessage.Node(state, sessions, streams, endpoint);
            }
            case LinkMessage.KIND_MEMBER_ADD -> {
                PayloadCursor c = new PayloadCursor(payload, "MEMBER_ADD");
                LinkMessage.MemberAdd m = new LinkMessage.MemberAdd(c.name(), c.u32("session"), new NodeAddress(c.u64("node")));
                c.end();
                return m;
            }
            case LinkMessage.KIND_MEMBER_REMOVE -> {
                PayloadCursor c = new PayloadCursor(payload, "MEMBER_REMOVE");
                LinkMessage.MemberRemove m = new LinkMessage.MemberRemove(c.name(), c.u32("session"), new NodeAddress(c.u64("node")));
                c.end();
                return m;
            }
            case LinkMessage.KIND_FORWARD -> {
                PayloadCursor c = new PayloadCursor(payload, "FORWARD");
                return new LinkMessage.Forward(c.name(), new NodeAddress(c.u64("origin")), c.u32("publisher"), c.u64("seq"), c.rest());
            }
            case LinkMessage.KIND_DELIVER -> {
                PayloadCursor c = new PayloadCursor(payload, "DELIVER");
                return new LinkMessage.Deliver(c.name(), c.u32("session"), new NodeAddress(c.u64("origin")), c.u32("publisher"),
                        c.u64("seq"), c.rest());
            }
            case LinkMessage.KIND_HANDOVER_ASK -> {
                PayloadCursor c = new PayloadCursor(payload, "HANDOVER_ASK");
                LinkMessage.HandOverAsk m = new LinkMessage.HandOverAsk(c.u32("request"), c.u32("session"), c.u32Unsigned("ticket"));
                c.end();
                return m;
            }
            case LinkMessage.KIND_SESSION_CLAIM -> {
                PayloadCursor c = new PayloadCursor(payload, "SESSION_CLAIM");
                LinkMessage.SessionClaim m = new LinkMessage.SessionClaim(c.u32("request"), new NodeAddress(c.u64("owner")),
                        c.u32("session"), c.u32Unsigned("ticket"));
                c.end();
                return m;
            }
            case LinkMessage.KIND_CLAIM_GRANTED -> {
                PayloadCursor c = new PayloadCursor(payload, "CLAIM_GRANTED");
                LinkMessage.ClaimGranted m = new LinkMessage.ClaimGranted(c.u32("request"));
                c.end();
                return m;
            }
            case LinkMessage.KIND_HANDOVER_PART -> {
                PayloadCursor c = new PayloadCursor(payload, "HANDOVER_PART");
                int request = c.u32("request");
                int last = c.u8("last");
                if (last > 1) {
                    throw c.malformed("HANDOVER_PART last is " + last + "; 0 and 1 are defined");
                }
                return new LinkMessage.HandOverPart(request, last == 1, c.rest());
            }
            case LinkMessage.KIND_HANDOVER_REFUSED -> {
                PayloadCursor c = new PayloadCursor(payload, "HANDOVER_REFUSED");
                int request = c.u32("request");
                int value = c.u16("code");
                ErrorCode code = ErrorCode.fromCode(value);
                if (code == null) {
                    throw c.malformed(String.format("HANDOVER_REFUSED code 0x%04x is not defined", value));
                }
                NodeAddress movedTo = new NodeAddress(c.u64("moved_to"));
                ByteBuffer rest = c.rest();
                if (rest.remaining() > CloseReason.MAX_REASON_BYTES) {
                    throw c.malformed("HANDOVER_REFUSED reason is " + rest.remaining() + " bytes, limit " + CloseReason.MAX_REASON_BYTES);
                }
                return new LinkMessage.HandOverRefused(request, code, movedTo, Utf8.decode(rest, ErrorCode.MALFORMED_CLUSTER_MESSAGE,
                        "HANDOVER_REFUSED reason"));
            }
            default -> throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE,
                    String.format("unknown LINK message kind 0x%02x", kind));
        }
    }

    private static byte[] member(int kind, String text, int session, NodeAddress node) {
        byte[] name = ClusterCodec.nameBytes(text);
        return ClusterCodec.allocate(2 + name.length + 12).put((byte) kind).put((byte) name.length).put(name)
                .putInt(session).putLong(node.value()).array();
    }
}
