package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The state a member hands over when a session moves: exact bytes of a small state, round trips
 * of the shapes a session can have, and every malformed form (MALFORMED_CLUSTER_MESSAGE naming
 * the field). Every integer is little-endian.
 */
class SessionStateCodecTest {
    private static final NodeAddress PEER = NodeAddress.parse("0123::4567::89AB::CDEF");
    /** The wire id of ed25519 in the handshake. */
    private static final int ED25519 = 0x02;

    /** Everything before channel_count of the golden state. */
    private static final String HEAD = ""
            + "01"                     // version 1
            + "4d3c2b1a"               // session 0x1A2B3C4D
            + "efcdab8967452301"       // peer_node 0123::4567::89AB::CDEF
            + "0068e5cf8b010000"       // created_ms 1700000000000
            + "07000000"               // ticket_counter 7
            + "02"                     // peer_alg ed25519
            + "0400" + "a1a2a3a4"      // key_len 4, key
            + "0300" + "e1e2e3";       // endorsement_len 3, endorsement
    /** Channel 3 of the golden state before message_count: SERVICE, compression, delivered 5, acknowledged 9. */
    private static final String CH3 = "0300 02 01 0500000000000000 0900000000000000";

    private static final String GOLDEN = HEAD
            + "0100"                   // channel_count 1
            + CH3
            + "02000000"               // message_count 2
            + "01" + "02000000" + "6869"        // DATA, length 2, "hi"
            + "02" + "03000000" + "6f6b21";     // CONTROL, length 3, "ok!"

    private static SessionState golden() {
        return new SessionState(0x1A2B3C4D, PEER, 1_700_000_000_000L, 7, ED25519, new byte[] {(byte) 0xA1, (byte) 0xA2, (byte) 0xA3,
            (byte) 0xA4}, new byte[] {(byte) 0xE1, (byte) 0xE2, (byte) 0xE3}, List.of(new SessionState.ChannelState(3,
                ChannelType.SERVICE, true, 5, 9, List.of(message(PacketType.DATA, "hi"), message(PacketType.CONTROL, "ok!")))));
    }

    // ---- golden ----

    @Test
    void goldenState() throws ProtocolException {
        SessionState state = golden();
        byte[] bytes = SessionStateCodec.encode(state);
        Hex.assertBytes(GOLDEN, bytes, "encode");
        assertEquals(bytes.length, SessionStateCodec.size(state));
        assertEquals(78, bytes.length);
        assertSameState(state, SessionStateCodec.decode(ByteBuffer.wrap(Hex.decode(GOLDEN))));
    }

    @Test
    void decodeReadsAtTheBuffersPositionWithoutMovingIt() throws ProtocolException {
        byte[] padded = Hex.decode("abcd" + GOLDEN + "ef");
        ByteBuffer atOffset = ByteBuffer.wrap(padded, 2, padded.length - 3);
        assertSameState(golden(), SessionStateCodec.decode(atOffset));
        assertEquals(2, atOffset.position());
        ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded).position(2).limit(padded.length - 1);
        assertSameState(golden(), SessionStateCodec.decode(direct));
        assertSameState(golden(), SessionStateCodec.decode(atOffset.asReadOnlyBuffer()));
    }

    @Test
    void decodedBytesAreCopiesThatOutliveTheBuffer() throws ProtocolException {
        byte[] bytes = Hex.decode(GOLDEN);
        SessionState decoded = SessionStateCodec.decode(ByteBuffer.wrap(bytes));
        Arrays.fill(bytes, (byte) 0);
        assertSameState(golden(), decoded);
    }

    // ---- round trips ----

    @Test
    void stateWithoutChannelsOrIdentity() throws ProtocolException {
        SessionState state = new SessionState(1, NodeAddress.NONE, 0, 0, 0, null, null, List.of());
        byte[] bytes = roundTrip(state);
        // header, key_len 0, endorsement_len 0, channel_count 0
        Hex.assertBytes("01 01000000 0000000000000000 0000000000000000 00000000 00 0000 0000 0000", bytes, "encode");
    }

    @Test
    void severalChannels() throws ProtocolException {
        roundTrip(several());
    }

    @Test
    void compressionFlagIsCarriedPerChannel() throws ProtocolException {
        SessionState state = new SessionState(2, PEER, 1, 1, 0, null, null, List.of(
                new SessionState.ChannelState(1, ChannelType.FILE, true, 0, 0, List.of()),
                new SessionState.ChannelState(3, ChannelType.FILE, false, 0, 0, List.of())));
        byte[] bytes = roundTrip(state);
        int firstOptions = SessionStateCodec.HEADER_SIZE + 2 + 2 + 2 + 1; // endorsement_len, channel_count, then id and type
        assertEquals(0x01, bytes[firstOptions]);
        assertEquals(0x00, bytes[firstOptions + SessionStateCodec.CHANNEL_FIXED_SIZE]);
        SessionState decoded = SessionStateCodec.decode(ByteBuffer.wrap(bytes));
        assertTrue(decoded.channels().get(0).compression());
        assertFalse(decoded.channels().get(1).compression());
    }

    @Test
    void messagesWithoutData() throws ProtocolException {
        SessionState state = new SessionState(3, PEER, 1, 1, 0, null, null, List.of(new SessionState.ChannelState(1,
                ChannelType.ECHO, false, 0, 0, List.of(message(PacketType.DATA, ""), message(PacketType.CLOSE, ""),
                        message(PacketType.DATA, "x")))));
        byte[] bytes = roundTrip(state);
        assertEquals(SessionStateCodec.HEADER_SIZE + 4 + SessionStateCodec.CHANNEL_FIXED_SIZE + 3 * SessionStateCodec.MESSAGE_FIXED_SIZE + 1,
                bytes.length);
    }

    @Test
    void aMessageOf100KiB() throws ProtocolException {
        byte[] big = new byte[100 * 1024];
        new Random(17).nextBytes(big);
        SessionState state = new SessionState(4, PEER, 1, 1, 0, null, null, List.of(new SessionState.ChannelState(9,
                ChannelType.custom(0x42), false, 1, 2, List.of(new SessionState.Message(PacketType.DATA, big),
                        message(PacketType.DATA, "after")))));
        byte[] bytes = roundTrip(state);
        assertEquals(SessionStateCodec.HEADER_SIZE + 4 + SessionStateCodec.CHANNEL_FIXED_SIZE + 2 * SessionStateCodec.MESSAGE_FIXED_SIZE
                + big.length + 5, bytes.length);
    }

    @Test
    void encoderRefusesWhatTheLayoutCannotCarry() {
        assertEquals("channel id is 1..65535: 0", assertThrows(IllegalArgumentException.class,
                () -> SessionStateCodec.encode(withChannel(0))).getMessage());
        assertEquals("channel id is 1..65535: 65536", assertThrows(IllegalArgumentException.class,
                () -> SessionStateCodec.encode(withChannel(65536))).getMessage());
        assertEquals("ticket_counter is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> SessionStateCodec.encode(new SessionState(1, PEER, 0, -1, 0, null, null, List.of()))).getMessage());
        assertEquals("key, endorsement and channel count are u16", assertThrows(IllegalArgumentException.class,
                () -> SessionStateCodec.encode(new SessionState(1, PEER, 0, 0, 1, new byte[65536], null, List.of()))).getMessage());
    }

    // ---- malformed ----

    static Stream<Arguments> malformed() {
        return Stream.of(
                row("empty", "", "empty session state"),
                row("version 2", "02" + GOLDEN.substring(2), "session state version 2; this node reads version 1"),
                row("version 0, alone", "00", "session state version 0; this node reads version 1"),
                row("key beyond the end", HEAD.substring(0, 2 * 26) + "2c01 a1a2a3a4", "session state key is 300 bytes, but only 4 follow"),
                row("endorsement beyond the end", HEAD.substring(0, HEAD.length() - 10) + "0400 e1e2e3",
                        "session state endorsement is 4 bytes, but only 3 follow"),
                row("channel id 0", HEAD + "0100 0000 02 00 0000000000000000 0000000000000000 00000000",
                        "session state names channel 0, which is ch 0"),
                row("channel id repeated", HEAD + "0200 " + CH3 + " 00000000 " + CH3 + " 00000000",
                        "session state names channel 3 twice"),
                row("channel id repeated after another", HEAD + "0300 0100 01 00 " + zeros(16) + " 00000000 0200 01 00 " + zeros(16)
                        + " 00000000 0100 01 00 " + zeros(16) + " 00000000", "session state names channel 1 twice"),
                row("option bit 0x02", HEAD + "0100 0300 02 02 " + zeros(16) + " 00000000",
                        "channel 3 options 0x02; only 0x01 (compression) is defined"),
                row("options 0x03 (compression and 0x02)", HEAD + "0100 0300 02 03 " + zeros(16) + " 00000000",
                        "channel 3 options 0x03; only 0x01 (compression) is defined"),
                row("option bit 0x80", HEAD + "0100 0300 02 80 " + zeros(16) + " 00000000",
                        "channel 3 options 0x80; only 0x01 (compression) is defined"),
                row("packet type 0x00", HEAD + "0100 " + CH3 + " 01000000 00 00000000",
                        "channel 3 message packet type 0x00 is not defined"),
                row("packet type 0x06 (after ERROR)", HEAD + "0100 " + CH3 + " 01000000 06 00000000",
                        "channel 3 message packet type 0x06 is not defined"),
                row("packet type 0xff", HEAD + "0100 " + CH3 + " 01000000 ff 00000000",
                        "channel 3 message packet type 0xff is not defined"),
                row("message length beyond the end", HEAD + "0100 " + CH3 + " 01000000 01 05000000 6869",
                        "channel 3 message is 5 bytes, but only 2 follow"),
                row("message length 0xFFFFFFFF (u32, not -1)", HEAD + "0100 " + CH3 + " 01000000 01 ffffffff",
                        "channel 3 message is 4294967295 bytes, but only 0 follow"),
                row("message length runs into the next channel", HEAD + "0200 " + CH3 + " 01000000 01 20000000 "
                        + "0400 02 00 " + zeros(16) + " 00000000", "channel 3 message is 32 bytes, but only 24 follow"),
                row("message_count 2, one message follows", HEAD + "0100 " + CH3 + " 02000000 01 02000000 6869",
                        "channel 3 says 2 messages, but only 7 bytes follow"),
                row("message_count 0xFFFFFFFF, nothing follows", HEAD + "0100 " + CH3 + " ffffffff",
                        "channel 3 says 4294967295 messages, but only 0 bytes follow"),
                row("message_count 2, one long message follows", HEAD + "0100 " + CH3 + " 02000000 01 05000000 68656c6c6f",
                        "session state is truncated: packet_type needs 1 bytes, 0 remain"),
                row("channel_count 2, one channel follows", HEAD + "0200 " + CH3 + " 00000000",
                        "session state is truncated: channel id needs 2 bytes, 0 remain"),
                row("trailing byte", GOLDEN + "00", "session state has 1 trailing bytes after its last field"),
                row("a second state after the first", GOLDEN + GOLDEN,
                        "session state has 78 trailing bytes after its last field"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void isRefused(String name, String hex, String message) {
        byte[] bytes = Hex.decode(hex);
        ByteBuffer state = ByteBuffer.wrap(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> SessionStateCodec.decode(state),
                () -> "accepted\n" + Hex.dump(bytes));
        assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code(), () -> e + "\n" + Hex.dump(bytes));
        assertEquals(message, e.getMessage(), () -> Hex.dump(bytes));
        assertEquals(0, state.position(), "a refused state is left as it was");
    }

    @Test
    void theMalformedRowsDifferFromTheGoldenOnlyWhereTheyMeanTo() throws ProtocolException {
        // the rows are built from HEAD and CH3: those pieces, completed, decode
        SessionState state = SessionStateCodec.decode(ByteBuffer.wrap(Hex.decode(HEAD + "0100 " + CH3 + " 00000000")));
        assertEquals(1, state.channels().size());
        assertEquals(3, state.channels().get(0).channelId());
        assertEquals(ChannelType.SERVICE, state.channels().get(0).type());
        assertTrue(state.channels().get(0).compression());
        assertEquals(5, state.channels().get(0).delivered());
        assertEquals(9, state.channels().get(0).acknowledged());
    }

    // ---- properties ----

    @Test
    void everyTruncationIsMalformed() {
        for (SessionState state : List.of(golden(), several())) {
            byte[] bytes = SessionStateCodec.encode(state);
            for (int length = 0; length < bytes.length; length++) {
                ByteBuffer cut = ByteBuffer.wrap(bytes, 0, length);
                int at = length;
                ProtocolException e = assertThrows(ProtocolException.class, () -> SessionStateCodec.decode(cut),
                        () -> "a cut to " + at + " of " + bytes.length + " bytes was accepted");
                assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code(), () -> "cut to " + at + ": " + e);
            }
        }
    }

    @Test
    void everySplitIntoTwoPartsGivesTheSameState() throws ProtocolException {
        for (SessionState state : List.of(golden(), several())) {
            byte[] bytes = SessionStateCodec.encode(state);
            for (int split = 0; split <= bytes.length; split++) {
                byte[] first = LinkCodec.encode(new LinkMessage.HandOverPart(77, false, ByteBuffer.wrap(bytes, 0, split)));
                byte[] second = LinkCodec.encode(new LinkMessage.HandOverPart(77, true, ByteBuffer.wrap(bytes, split, bytes.length - split)));
                LinkMessage.HandOverPart a = (LinkMessage.HandOverPart) LinkCodec.decode(first);
                LinkMessage.HandOverPart b = (LinkMessage.HandOverPart) LinkCodec.decode(second);
                assertFalse(a.last());
                assertTrue(b.last());
                assertEquals(77, a.request());
                assertEquals(77, b.request());
                ByteBuffer joined = ByteBuffer.allocate(a.data().remaining() + b.data().remaining()).put(a.data()).put(b.data()).flip();
                assertEquals(bytes.length, joined.remaining(), "split at " + split);
                assertSameState(state, SessionStateCodec.decode(joined));
            }
        }
    }

    // ---- helpers ----

    /** Five channels: the edge ids, every built-in kind of type, u64 extremes, several messages of each packet type. */
    private static SessionState several() {
        List<SessionState.Message> all = new ArrayList<>();
        for (PacketType t : PacketType.values()) {
            all.add(message(t, t.name().toLowerCase()));
        }
        return new SessionState(-1, NodeAddress.parse("FEDC::BA98::7654::3210"), Long.MAX_VALUE, 0xFFFF_FFFFL, 0x01,
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, null, List.of(
                        new SessionState.ChannelState(1, ChannelType.FILE, false, 0, 0, List.of()),
                        new SessionState.ChannelState(65535, ChannelType.CLUSTER, true, -1L, -1L, all),
                        new SessionState.ChannelState(2, ChannelType.ECHO, true, 1, 0, List.of(message(PacketType.DATA, ""))),
                        new SessionState.ChannelState(0x7F00, ChannelType.custom(0xFF), false, 100, 99,
                                List.of(message(PacketType.DATA, "a"), message(PacketType.DATA, "b"))),
                        new SessionState.ChannelState(5, new ChannelType(0x00), false, 3, 4, List.of(message(PacketType.ERROR, "e")))));
    }

    private static SessionState withChannel(int id) {
        return new SessionState(1, PEER, 0, 0, 0, null, null, List.of(new SessionState.ChannelState(id, ChannelType.FILE, false, 0, 0,
                List.of())));
    }

    /** Encodes, checks the size, decodes and compares; returns the encoding. */
    private static byte[] roundTrip(SessionState state) throws ProtocolException {
        byte[] bytes = SessionStateCodec.encode(state);
        assertEquals(SessionStateCodec.size(state), bytes.length);
        assertEquals(SessionStateCodec.VERSION, bytes[0]);
        assertSameState(state, SessionStateCodec.decode(ByteBuffer.wrap(bytes)));
        return bytes;
    }

    /** Field by field: the record's equality compares its arrays by identity. */
    private static void assertSameState(SessionState expected, SessionState actual) {
        assertEquals(expected.sessionId(), actual.sessionId(), "session");
        assertEquals(expected.peerNode(), actual.peerNode(), "peer_node");
        assertEquals(expected.createdMillis(), actual.createdMillis(), "created_ms");
        assertEquals(expected.ticketCounter(), actual.ticketCounter(), "ticket_counter");
        assertEquals(expected.peerAlgorithm(), actual.peerAlgorithm(), "peer_alg");
        assertArrayEquals(expected.peerKey(), actual.peerKey(), "key");
        assertArrayEquals(expected.peerEndorsement(), actual.peerEndorsement(), "endorsement");
        assertEquals(expected.channels().size(), actual.channels().size(), "channel_count");
        for (int i = 0; i < expected.channels().size(); i++) {
            SessionState.ChannelState e = expected.channels().get(i);
            SessionState.ChannelState a = actual.channels().get(i);
            String where = "channel " + e.channelId() + ": ";
            assertEquals(e.channelId(), a.channelId(), where + "id");
            assertEquals(e.type(), a.type(), where + "type");
            assertEquals(e.compression(), a.compression(), where + "compression");
            assertEquals(e.delivered(), a.delivered(), where + "delivered");
            assertEquals(e.acknowledged(), a.acknowledged(), where + "acknowledged");
            assertEquals(e.messages().size(), a.messages().size(), where + "message_count");
            for (int m = 0; m < e.messages().size(); m++) {
                assertEquals(e.messages().get(m).type(), a.messages().get(m).type(), where + "message " + m + " type");
                assertArrayEquals(e.messages().get(m).data(), a.messages().get(m).data(), where + "message " + m + " data");
            }
        }
    }

    private static SessionState.Message message(PacketType type, String text) {
        return new SessionState.Message(type, text.getBytes(StandardCharsets.UTF_8));
    }

    private static String zeros(int bytes) {
        return "00".repeat(bytes);
    }

    private static Arguments row(String name, String hex, String message) {
        return Arguments.of(name, hex, message);
    }
}
