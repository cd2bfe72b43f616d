package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte layouts of the CONTROL messages on ch 0 (all integers little-endian):
 *
 * <pre>
 * HELLO        01 | version u16 | features u16 | node u64                                  (13 bytes)
 * WELCOME      02 | version u16 | features u16 | node u64 | session u32 | keepalive_ms u32 (21 bytes)
 * OPEN_CHANNEL 03 | ch_id u16 | channel_type u8 | options u8 (0x01 compression; others 0) (5 bytes)
 * OPEN_ACK     04 | ch_id u16                                                             (3 bytes)
 * OPEN_REJECT  05 | ch_id u16 | code u16 | reason UTF-8 to the end (&lt;= 512 bytes)          (5+ bytes)
 * KEY_UPDATE   0A | ch_id u16 (0 = stream key) | epoch u32                                 (7 bytes)
 * CHANNEL_KEY  0B | ch_id u16 | mode u8 (1 derived, 2 application) | check[8]              (12 bytes)
 * CHANNEL_KEY_ACK 0C | ch_id u16 | status u16 (0 accepted, else an error code)            (5 bytes)
 * CHANNEL_KEY_ACTIVE 0D | ch_id u16                                                       (3 bytes)
 * GOAWAY       10 | grace_ms u32 | alt_len u8 | alternate UTF-8 host:port (alt_len bytes)
 *                 | reason UTF-8 to the end (&lt;= 512 bytes)                                  (6+ bytes)
 * WINDOW_UPDATE 11 | ch_id u16 (0 = the stream) | increment u32 (1..2^31-1)                 (7 bytes)
 * ACK          12 | ch_id u16 (1..65535) | delivered u64                                  (11 bytes)
 * TICKET       13 | ticket_number u32 | lifetime_s u32 | ticket vec (u16 length, 1..512)  (12..523 bytes)
 * RESUMED      17 | count u16 | (ch_id u16 (1..65535) | received u64) * count              (3 + 10 * count bytes)
 * SESSION_GAP  18 | lost_owner u64                                                          (9 bytes)
 * </pre>
 *
 * Every fixed-size message must have exactly its size: trailing bytes are an error, so a
 * later version extends the protocol with new kinds or the features bits, never silently.
 */
public final class ControlCodec {
    public static final int HELLO_SIZE = 13;
    public static final int WELCOME_SIZE = 21;
    public static final int OPEN_CHANNEL_SIZE = 5;
    public static final int OPEN_ACK_SIZE = 3;
    public static final int OPEN_REJECT_MIN_SIZE = 5;
    public static final int KEY_UPDATE_SIZE = 7;
    public static final int CHANNEL_KEY_SIZE = 4 + ControlMessage.KEY_CHECK_SIZE;
    public static final int CHANNEL_KEY_ACK_SIZE = 5;
    public static final int CHANNEL_KEY_ACTIVE_SIZE = 3;
    public static final int WINDOW_UPDATE_SIZE = 7;
    public static final int ACK_SIZE = 11;
    /** TICKET up to its ticket's length field; the ticket's 1..{@link HandshakeCodec#MAX_TICKET} bytes follow. */
    public static final int TICKET_FIXED_SIZE = 11;
    /** RESUMED without channels: kind and count. */
    public static final int RESUMED_FIXED_SIZE = 3;
    /** Bytes of one channel in RESUMED. */
    public static final int RESUMED_ENTRY_SIZE = 10;
    public static final int SESSION_GAP_SIZE = 9;
    /** Largest u32 field (ticket number, lifetime). */
    private static final long MAX_U32 = 0xFFFF_FFFFL;
    /** GOAWAY without alternate and reason: kind, grace_ms, alt_len. */
    public static final int GOAWAY_MIN_SIZE = 6;
    /** Longest alternate member, {@code host:port} in UTF-8 (its length is a u8). */
    public static final int MAX_ALTERNATE_BYTES = 255;
    /** Largest grace period (u32 milliseconds). */
    public static final long MAX_GRACE_MILLIS = 0xFFFF_FFFFL;

    private ControlCodec() {
    }

    public static byte[] encode(ControlMessage message) {
        if (message instanceof ControlMessage.Hello m) {
            requireU16("version", m.version());
            requireU16("features", m.features());
            ByteBuffer b = allocate(HELLO_SIZE).put((byte) ControlMessage.KIND_HELLO);
            b.putShort((short) m.version()).putShort((short) m.features()).putLong(m.node().value());
            return b.array();
        }
        if (message instanceof ControlMessage.Welcome m) {
            requireU16("version", m.version());
            requireU16("features", m.features());
            ByteBuffer b = allocate(WELCOME_SIZE).put((byte) ControlMessage.KIND_WELCOME);
            b.putShort((short) m.version()).putShort((short) m.features()).putLong(m.node().value())
                    .putInt(m.sessionId()).putInt(m.keepAliveTimeoutMillis());
            return b.array();
        }
        if (message instanceof ControlMessage.OpenChannel m) {
            requireChannel(m.channelId());
            if (m.options() < 0 || m.options() > 0xFF) {
                throw new IllegalArgumentException("options is a u8: " + m.options());
            }
            return allocate(OPEN_CHANNEL_SIZE).put((byte) ControlMessage.KIND_OPEN_CHANNEL)
                    .putShort((short) m.channelId()).put((byte) m.type().code()).put((byte) m.options()).array();
        }
        if (message instanceof ControlMessage.OpenAck m) {
            requireChannel(m.channelId());
            return allocate(OPEN_ACK_SIZE).put((byte) ControlMessage.KIND_OPEN_ACK).putShort((short) m.channelId()).array();
        }
        if (message instanceof ControlMessage.OpenReject m) {
            requireChannel(m.channelId());
            requireU16("code", m.code());
            byte[] reason = CloseReason.truncate(m.reason());
            return allocate(OPEN_REJECT_MIN_SIZE + reason.length).put((byte) ControlMessage.KIND_OPEN_REJECT)
                    .putShort((short) m.channelId()).putShort((short) m.code()).put(reason).array();
        }
        if (message instanceof ControlMessage.KeyUpdate m) {
            requireStreamOrChannel(m.channelId());
            if (m.epoch() < 0 || m.epoch() > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("epoch is a u32: " + m.epoch());
            }
            return allocate(KEY_UPDATE_SIZE).put((byte) ControlMessage.KIND_KEY_UPDATE).putShort((short) m.channelId())
                    .putInt((int) m.epoch()).array();
        }
        if (message instanceof ControlMessage.ChannelKey m) {
            requireChannel(m.channelId());
            if (m.mode() != ControlMessage.KEY_MODE_DERIVED && m.mode() != ControlMessage.KEY_MODE_APPLICATION) {
                throw new IllegalArgumentException("mode must be 1 or 2: " + m.mode());
            }
            if (m.check().length != ControlMessage.KEY_CHECK_SIZE) {
                throw new IllegalArgumentException("check must be " + ControlMessage.KEY_CHECK_SIZE + " bytes");
            }
            return allocate(CHANNEL_KEY_SIZE).put((byte) ControlMessage.KIND_CHANNEL_KEY).putShort((short) m.channelId())
                    .put((byte) m.mode()).put(m.check()).array();
        }
        if (message instanceof ControlMessage.ChannelKeyAck m) {
            requireChannel(m.channelId());
            requireU16("status", m.status());
            return allocate(CHANNEL_KEY_ACK_SIZE).put((byte) ControlMessage.KIND_CHANNEL_KEY_ACK).putShort((short) m.channelId())
                    .putShort((short) m.status()).array();
        }
        if (message instanceof ControlMessage.ChannelKeyActive m) {
            requireChannel(m.channelId());
            return allocate(CHANNEL_KEY_ACTIVE_SIZE).put((byte) ControlMessage.KIND_CHANNEL_KEY_ACTIVE).putShort((short) m.channelId()).array();
        }
        if (message instanceof ControlMessage.GoAway m) {
            if (m.graceMillis() < 0 || m.graceMillis() > MAX_GRACE_MILLIS) {
                throw new IllegalArgumentException("grace_ms is a u32: " + m.graceMillis());
            }
            byte[] alternate = m.alternate().getBytes(StandardCharsets.UTF_8);
            if (alternate.length > MAX_ALTERNATE_BYTES) {
                throw new IllegalArgumentException("alternate is " + alternate.length + " bytes, at most " + MAX_ALTERNATE_BYTES);
            }
            if (m.hasAlternate() && !isHostPort(m.alternate())) {
                throw new IllegalArgumentException("alternate must be host:port, got '" + m.alternate() + "'");
            }
            byte[] reason = CloseReason.truncate(m.reason());
            return allocate(GOAWAY_MIN_SIZE + alternate.length + reason.length).put((byte) ControlMessage.KIND_GOAWAY)
                    .putInt((int) m.graceMillis()).put((byte) alternate.length).put(alternate).put(reason).array();
        }
        if (message instanceof ControlMessage.WindowUpdate m) {
            requireStreamOrChannel(m.channelId());
            if (m.increment() < 1 || m.increment() > FlowWindow.MAX_WINDOW) {
                throw new IllegalArgumentException("increment must be 1.." + FlowWindow.MAX_WINDOW + ": " + m.increment());
            }
            return allocate(WINDOW_UPDATE_SIZE).put((byte) ControlMessage.KIND_WINDOW_UPDATE).putShort((short) m.channelId())
                    .putInt((int) m.increment()).array();
        }
        if (message instanceof ControlMessage.Ack m) {
            if (m.channelId() < 1 || m.channelId() > 0xFFFF) {
                throw new IllegalArgumentException("an ACK names a channel 1..65535: " + m.channelId());
            }
            return allocate(ACK_SIZE).put((byte) ControlMessage.KIND_ACK).putShort((short) m.channelId()).putLong(m.delivered()).array();
        }
        if (message instanceof ControlMessage.Ticket m) {
            if (m.ticketNumber() < 0 || m.ticketNumber() > MAX_U32) {
                throw new IllegalArgumentException("ticket_number is a u32: " + m.ticketNumber());
            }
            if (m.lifetimeSeconds() < 0 || m.lifetimeSeconds() > MAX_U32) {
                throw new IllegalArgumentException("lifetime_s is a u32: " + m.lifetimeSeconds());
            }
            if (m.ticket().length < 1 || m.ticket().length > HandshakeCodec.MAX_TICKET) {
                throw new IllegalArgumentException("a ticket is 1.." + HandshakeCodec.MAX_TICKET + " bytes, is " + m.ticket().length);
            }
            return allocate(TICKET_FIXED_SIZE + m.ticket().length).put((byte) ControlMessage.KIND_TICKET)
                    .putInt((int) m.ticketNumber()).putInt((int) m.lifetimeSeconds()).putShort((short) m.ticket().length)
                    .put(m.ticket()).array();
        }
        if (message instanceof ControlMessage.Resumed m) {
            if (m.channels().size() > 0xFFFF) {
                throw new IllegalArgumentException("RESUMED count is a u16: " + m.channels().size());
            }
            ByteBuffer b = allocate(RESUMED_FIXED_SIZE + RESUMED_ENTRY_SIZE * m.channels().size())
                    .put((byte) ControlMessage.KIND_RESUMED).putShort((short) m.channels().size());
            for (ControlMessage.ChannelReceived c : m.channels()) {
                requireChannel(c.channelId());
                b.putShort((short) c.channelId()).putLong(c.received());
            }
            return b.array();
        }
        if (message instanceof ControlMessage.SessionGap m) {
            return allocate(SESSION_GAP_SIZE).put((byte) ControlMessage.KIND_SESSION_GAP).putLong(m.lostOwner().value()).array();
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** Decodes {@code payload.position()..limit()} without moving the position. */
    public static ControlMessage decode(ByteBuffer payload) throws ProtocolException {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (!b.hasRemaining()) {
            throw malformed("empty CONTROL payload on ch 0");
        }
        int kind = b.get() & 0xFF;
        int length = payload.remaining();
        switch (kind) {
            case ControlMessage.KIND_HELLO -> {
                exact("HELLO", length, HELLO_SIZE);
                return new ControlMessage.Hello(u16(b), u16(b), new NodeAddress(b.getLong()));
            }
            case ControlMessage.KIND_WELCOME -> {
                exact("WELCOME", length, WELCOME_SIZE);
                return new ControlMessage.Welcome(u16(b), u16(b), new NodeAddress(b.getLong()), b.getInt(), b.getInt());
            }
            case ControlMessage.KIND_OPEN_CHANNEL -> {
                exact("OPEN_CHANNEL", length, OPEN_CHANNEL_SIZE);
                return new ControlMessage.OpenChannel(u16(b), new ChannelType(b.get() & 0xFF), b.get() & 0xFF);
            }
            case ControlMessage.KIND_OPEN_ACK -> {
                exact("OPEN_ACK", length, OPEN_ACK_SIZE);
                return new ControlMessage.OpenAck(u16(b));
            }
            case ControlMessage.KIND_OPEN_REJECT -> {
                if (length < OPEN_REJECT_MIN_SIZE || length - OPEN_REJECT_MIN_SIZE > CloseReason.MAX_REASON_BYTES) {
                    throw malformed("OPEN_REJECT is " + length + " bytes, must be " + OPEN_REJECT_MIN_SIZE + ".."
                            + (OPEN_REJECT_MIN_SIZE + CloseReason.MAX_REASON_BYTES));
                }
                int ch = u16(b);
                int code = u16(b);
                return new ControlMessage.OpenReject(ch, code, Utf8.decode(b, ErrorCode.MALFORMED_CONTROL, "OPEN_REJECT reason"));
            }
            case ControlMessage.KIND_KEY_UPDATE -> {
                exact("KEY_UPDATE", length, KEY_UPDATE_SIZE);
                return new ControlMessage.KeyUpdate(u16(b), Integer.toUnsignedLong(b.getInt()));
            }
            case ControlMessage.KIND_CHANNEL_KEY -> {
                exact("CHANNEL_KEY", length, CHANNEL_KEY_SIZE);
                int ch = u16(b);
                int mode = b.get() & 0xFF;
                if (mode != ControlMessage.KEY_MODE_DERIVED && mode != ControlMessage.KEY_MODE_APPLICATION) {
                    throw malformed("CHANNEL_KEY mode " + mode + "; 1 (derived) and 2 (application) are defined");
                }
                byte[] check = new byte[ControlMessage.KEY_CHECK_SIZE];
                b.get(check);
                return new ControlMessage.ChannelKey(ch, mode, check);
            }
            case ControlMessage.KIND_CHANNEL_KEY_ACK -> {
                exact("CHANNEL_KEY_ACK", length, CHANNEL_KEY_ACK_SIZE);
                return new ControlMessage.ChannelKeyAck(u16(b), u16(b));
            }
            case ControlMessage.KIND_CHANNEL_KEY_ACTIVE -> {
                exact("CHANNEL_KEY_ACTIVE", length, CHANNEL_KEY_ACTIVE_SIZE);
                return new ControlMessage.ChannelKeyActive(u16(b));
            }
            case ControlMessage.KIND_GOAWAY -> {
                return decodeGoAway(b, length);
            }
            case ControlMessage.KIND_WINDOW_UPDATE -> {
                exact("WINDOW_UPDATE", length, WINDOW_UPDATE_SIZE);
                int ch = u16(b);
                long increment = Integer.toUnsignedLong(b.getInt());
                if (increment == 0 || increment > FlowWindow.MAX_WINDOW) {
                    throw malformed("WINDOW_UPDATE increment " + increment + " for channel " + ch + "; it must be 1.." + FlowWindow.MAX_WINDOW);
                }
                return new ControlMessage.WindowUpdate(ch, increment);
            }
            case ControlMessage.KIND_ACK -> {
                exact("ACK", length, ACK_SIZE);
                int ch = u16(b);
                if (ch == 0) {
                    throw malformed("ACK for ch 0; messages are acknowledged on channels 1..65535");
                }
                return new ControlMessage.Ack(ch, b.getLong());
            }
            case ControlMessage.KIND_TICKET -> {
                if (length < TICKET_FIXED_SIZE + 1) {
                    throw malformed("TICKET is " + length + " bytes, must be at least " + (TICKET_FIXED_SIZE + 1));
                }
                long number = Integer.toUnsignedLong(b.getInt());
                long lifetime = Integer.toUnsignedLong(b.getInt());
                int ticketLength = u16(b);
                if (ticketLength < 1 || ticketLength > HandshakeCodec.MAX_TICKET) {
                    throw malformed("TICKET ticket length " + ticketLength + "; a ticket is 1.." + HandshakeCodec.MAX_TICKET + " bytes");
                }
                if (ticketLength != b.remaining()) {
                    throw malformed("TICKET ticket length " + ticketLength + ", but " + b.remaining() + " bytes follow");
                }
                byte[] ticket = new byte[ticketLength];
                b.get(ticket);
                return new ControlMessage.Ticket(number, lifetime, ticket);
            }
            case ControlMessage.KIND_RESUMED -> {
                if (length < RESUMED_FIXED_SIZE) {
                    throw malformed("RESUMED is " + length + " bytes, must be at least " + RESUMED_FIXED_SIZE);
                }
                int count = u16(b);
                if (length != RESUMED_FIXED_SIZE + RESUMED_ENTRY_SIZE * count) {
                    throw malformed("RESUMED of " + count + " channels is " + length + " bytes, must be exactly "
                            + (RESUMED_FIXED_SIZE + RESUMED_ENTRY_SIZE * count));
                }
                List<ControlMessage.ChannelReceived> channels = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int ch = u16(b);
                    if (ch == 0) {
                        throw malformed("RESUMED lists ch 0; channels are 1..65535");
                    }
                    channels.add(new ControlMessage.ChannelReceived(ch, b.getLong()));
                }
                return new ControlMessage.Resumed(channels);
            }
            case ControlMessage.KIND_SESSION_GAP -> {
                if (length != SESSION_GAP_SIZE) {
                    throw malformed("SESSION_GAP is " + length + " bytes, must be " + SESSION_GAP_SIZE);
                }
                return new ControlMessage.SessionGap(new NodeAddress(b.getLong()));
            }
            default -> throw malformed(HandshakeMessage.isHandshakeKind(kind)
                    ? String.format("handshake message kind 0x%02x outside the handshake", kind)
                    : String.format("unknown CONTROL message kind 0x%02x", kind));
        }
    }

    private static ControlMessage.GoAway decodeGoAway(ByteBuffer b, int length) throws ProtocolException {
        if (length < GOAWAY_MIN_SIZE) {
            throw malformed("GOAWAY is " + length + " bytes, must be at least " + GOAWAY_MIN_SIZE);
        }
        long grace = Integer.toUnsignedLong(b.getInt());
        int altLength = b.get() & 0xFF;
        if (altLength > b.remaining()) {
            throw malformed("GOAWAY alt_len is " + altLength + ", but only " + b.remaining() + " bytes follow");
        }
        ByteBuffer altBytes = b.slice();
        altBytes.limit(altLength);
        String alternate = Utf8.decode(altBytes, ErrorCode.MALFORMED_CONTROL, "GOAWAY alternate");
        if (altLength > 0 && !isHostPort(alternate)) {
            throw malformed("GOAWAY alternate '" + alternate + "' is not host:port with a port 1..65535");
        }
        b.position(b.position() + altLength);
        if (b.remaining() > CloseReason.MAX_REASON_BYTES) {
            throw malformed("GOAWAY reason is " + b.remaining() + " bytes, limit " + CloseReason.MAX_REASON_BYTES);
        }
        return new ControlMessage.GoAway(grace, alternate, Utf8.decode(b, ErrorCode.MALFORMED_CONTROL, "GOAWAY reason"));
    }

    /** {@code host:port}: a non-empty host (an IPv6 literal in brackets) and a port 1..65535. */
    static boolean isHostPort(String text) {
        int colon = text.lastIndexOf(':');
        int digits = text.length() - colon - 1;
        if (colon <= 0 || digits < 1 || digits > 5) {
            return false;
        }
        String host = text.substring(0, colon);
        if (host.indexOf(':') >= 0 && !(host.startsWith("[") && host.endsWith("]"))) {
            return false; // a bare IPv6 literal would make the port ambiguous
        }
        int port = 0;
        for (int i = colon + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port >= 1 && port <= 0xFFFF;
    }

    private static ByteBuffer allocate(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void requireChannel(int id) {
        if (id <= 0 || id > FrameHeader.MAX_CHANNEL_ID) {
            throw new IllegalArgumentException("channel id must be 1..65535: " + id);
        }
    }

    private static void requireStreamOrChannel(int id) {
        if (id < 0 || id > FrameHeader.MAX_CHANNEL_ID) {
            throw new IllegalArgumentException("channel id must be 0..65535: " + id);
        }
    }

    private static void requireU16(String field, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(field + " is a u16: " + value);
        }
    }

    private static int u16(ByteBuffer b) {
        return Short.toUnsignedInt(b.getShort());
    }

    private static void exact(String name, int length, int size) throws ProtocolException {
        if (length != size) {
            throw malformed(name + " is " + length + " bytes, must be exactly " + size);
        }
    }

    private static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_CONTROL, message);
    }
}
