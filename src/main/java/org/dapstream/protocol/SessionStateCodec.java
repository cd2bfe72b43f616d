package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The byte layout of a handed-over session (PROTOCOL.md section 33.3), all integers
 * little-endian:
 *
 * <pre>
 * state   = version u8 (1) | session u32 | peer_node u64 | created_ms u64 | ticket_counter u32
 *           | peer_alg u8 (0: none) | key_len u16 | key | endorsement_len u16 | endorsement
 *           | channel_count u16 | channel * channel_count
 * channel = id u16 | type u8 | options u8 (bit 0: compression) | delivered u64 | acknowledged u64
 *           | message_count u32 | message * message_count
 * message = packet_type u8 | length u32 | data
 * </pre>
 *
 * Anything else (another version, a zero or repeated channel id, an undefined option bit or
 * packet type, a length beyond the bytes left, trailing bytes) is MALFORMED_CLUSTER_MESSAGE.
 */
public final class SessionStateCodec {
    public static final int VERSION = 1;
    /** The state before the peer's key: version, session, peer_node, created_ms, ticket_counter, peer_alg, key_len. */
    static final int HEADER_SIZE = 1 + 4 + 8 + 8 + 4 + 1 + 2;
    /** A channel before its messages. */
    static final int CHANNEL_FIXED_SIZE = 2 + 1 + 1 + 8 + 8 + 4;
    /** A message before its data. */
    static final int MESSAGE_FIXED_SIZE = 1 + 4;
    private static final int OPTION_COMPRESSION = 0x01;

    private SessionStateCodec() {
    }

    /** The size {@link #encode} will produce. */
    public static long size(SessionState s) {
        long size = HEADER_SIZE + s.peerKey().length + 2 + s.peerEndorsement().length + 2;
        for (SessionState.ChannelState ch : s.channels()) {
            size += CHANNEL_FIXED_SIZE;
            for (SessionState.Message m : ch.messages()) {
                size += MESSAGE_FIXED_SIZE + m.data().length;
            }
        }
        return size;
    }

    public static byte[] encode(SessionState s) {
        long size = size(s);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a session state of " + size + " bytes does not fit one array");
        }
        ClusterCodec.requireU32("ticket_counter", s.ticketCounter());
        if (s.peerKey().length > 0xFFFF || s.peerEndorsement().length > 0xFFFF || s.channels().size() > 0xFFFF) {
            throw new IllegalArgumentException("key, endorsement and channel count are u16");
        }
        ByteBuffer b = ClusterCodec.allocate((int) size).put((byte) VERSION).putInt(s.sessionId()).putLong(s.peerNode().value())
                .putLong(s.createdMillis()).putInt((int) s.ticketCounter()).put((byte) s.peerAlgorithm())
                .putShort((short) s.peerKey().length).put(s.peerKey())
                .putShort((short) s.peerEndorsement().length).put(s.peerEndorsement())
                .putShort((short) s.channels().size());
        for (SessionState.ChannelState ch : s.channels()) {
            if (ch.channelId() < 1 || ch.channelId() > 0xFFFF) {
                throw new IllegalArgumentException("channel id is 1..65535: " + ch.channelId());
            }
            b.putShort((short) ch.channelId()).put((byte) ch.type().code()).put((byte) (ch.compression() ? OPTION_COMPRESSION : 0))
                    .putLong(ch.delivered()).putLong(ch.acknowledged()).putInt(ch.messages().size());
            for (SessionState.Message m : ch.messages()) {
                b.put((byte) m.type().code()).putInt(m.data().length).put(m.data());
            }
        }
        return b.array();
    }

    /** Decodes a whole state; the message data are copies (the state outlives the buffer). */
    public static SessionState decode(ByteBuffer bytes) throws ProtocolException {
        if (!bytes.hasRemaining()) {
            throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, "empty session state");
        }
        int version = bytes.get(bytes.position()) & 0xFF;
        PayloadCursor c = new PayloadCursor(bytes, "session state"); // reads after the version byte
        if (version != VERSION) {
            throw c.malformed("session state version " + version + "; this node reads version " + VERSION);
        }
        int session = c.u32("session");
        NodeAddress peer = new NodeAddress(c.u64("peer_node"));
        long created = c.u64("created_ms");
        long ticketCounter = c.u32Unsigned("ticket_counter");
        int algorithm = c.u8("peer_alg");
        byte[] key = c.bytes(c.u16("key_len"), "key");
        byte[] endorsement = c.bytes(c.u16("endorsement_len"), "endorsement");
        int count = c.u16("channel_count");
        List<SessionState.ChannelState> channels = new ArrayList<>(Math.min(count, 64));
        BitSet seen = new BitSet();
        for (int i = 0; i < count; i++) {
            int id = c.u16("channel id");
            if (id == 0 || seen.get(id)) {
                throw c.malformed("session state names channel " + id + (id == 0 ? ", which is ch 0" : " twice"));
            }
            seen.set(id);
            ChannelType type = new ChannelType(c.u8("type"));
            int options = c.u8("options");
            if ((options & ~OPTION_COMPRESSION) != 0) {
                throw c.malformed(String.format("channel %d options 0x%02x; only 0x%02x (compression) is defined", id, options,
                        OPTION_COMPRESSION));
            }
            long delivered = c.u64("delivered");
            long acknowledged = c.u64("acknowledged");
            long messageCount = c.u32Unsigned("message_count");
            if (messageCount * MESSAGE_FIXED_SIZE > c.remaining()) {
                throw c.malformed("channel " + id + " says " + messageCount + " messages, but only " + c.remaining() + " bytes follow");
            }
            List<SessionState.Message> messages = new ArrayList<>((int) messageCount);
            for (long m = 0; m < messageCount; m++) {
                int code = c.u8("packet_type");
                PacketType type1 = PacketType.fromCode(code);
                if (type1 == null) {
                    throw c.malformed(String.format("channel %d message packet type 0x%02x is not defined", id, code));
                }
                long length = c.u32Unsigned("length");
                if (length > c.remaining()) {
                    throw c.malformed("channel " + id + " message is " + length + " bytes, but only " + c.remaining() + " follow");
                }
                messages.add(new SessionState.Message(type1, c.bytes((int) length, "data")));
            }
            channels.add(new SessionState.ChannelState(id, type, options == OPTION_COMPRESSION, delivered, acknowledged, messages));
        }
        c.end();
        return new SessionState(session, peer, created, ticketCounter, algorithm, key, endorsement, channels);
    }
}
