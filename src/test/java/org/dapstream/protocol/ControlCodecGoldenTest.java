package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Exact bytes of the ch-0 CONTROL messages, the CLOSE/ERROR payload and the KEEPALIVE payload,
 * in both directions. Every integer is little-endian.
 */
class ControlCodecGoldenTest {

    @Test
    void hello() throws ProtocolException {
        assertControl(""
                + "01"                 // kind HELLO
                + "0100"               // version 1
                + "0300"               // features 0x0003
                + "efcdab8967452301",  // node 0123::4567::89AB::CDEF
                new ControlMessage.Hello(1, 0x0003, NodeAddress.parse("0123::4567::89AB::CDEF")));
    }

    @Test
    void helloWithTheTopBitOfEveryFieldSet() throws ProtocolException {
        assertControl(""
                + "01"                 // kind HELLO
                + "ffff"               // version 65535
                + "0080"               // features 0x8000
                + "0000000000000080",  // node 8000::0000::0000::0000
                new ControlMessage.Hello(0xFFFF, 0x8000, NodeAddress.parse("8000::0000::0000::0000")));
    }

    @Test
    void welcome() throws ProtocolException {
        assertControl(""
                + "02"                 // kind WELCOME
                + "0100"               // version 1
                + "0180"               // features 0x8001 (top bit: u16, not a negative short)
                + "1032547698badcfe"   // node FEDC::BA98::7654::3210
                + "efbeadde"           // session 0xDEADBEEF
                + "b80b0000",          // keepalive_ms 3000
                new ControlMessage.Welcome(1, 0x8001, NodeAddress.parse("FEDC::BA98::7654::3210"), 0xDEADBEEF, 3000));
    }

    @Test
    void openChannel() throws ProtocolException {
        assertControl(""
                + "03"                 // kind OPEN_CHANNEL
                + "0301"               // ch_id 0x0103
                + "04"                 // channel_type MEDIA
                + "00",                // options 0
                new ControlMessage.OpenChannel(0x0103, ChannelType.MEDIA, 0));
    }

    @Test
    void openChannelOfACustomTypeOnTheLastEvenId() throws ProtocolException {
        assertControl(""
                + "03"                 // kind OPEN_CHANNEL
                + "feff"               // ch_id 65534
                + "f0"                 // channel_type 0xF0 (ECHO, custom range)
                + "00",                // options 0
                new ControlMessage.OpenChannel(0xFFFE, ChannelType.ECHO, 0));
    }

    @Test
    void openChannelOfferingCompression() throws ProtocolException {
        ControlMessage.OpenChannel open = new ControlMessage.OpenChannel(5, ChannelType.SERVICE, ControlMessage.OPTION_COMPRESSION);
        assertControl(""
                + "03"                 // kind OPEN_CHANNEL
                + "0500"               // ch_id 5
                + "02"                 // channel_type SERVICE
                + "01",                // options 0x01: compression offered
                open);
        assertTrue(open.compression());
        assertFalse(new ControlMessage.OpenChannel(5, ChannelType.SERVICE, 0).compression());
        assertEquals(0x01, ControlMessage.OPTIONS_DEFINED, "version 1 defines the compression bit only");
    }

    @Test
    void openChannelCarriesOptionsAsTheyAre() throws ProtocolException {
        // Bits other than 0x01 are undefined: the codec passes the byte through and the stream
        // refuses them (MALFORMED_CONTROL), so the policy lives in one place.
        ControlMessage.OpenChannel open = new ControlMessage.OpenChannel(1, ChannelType.FILE, 0xFE);
        assertControl(""
                + "03"                 // kind OPEN_CHANNEL
                + "0100"               // ch_id 1
                + "01"                 // channel_type FILE
                + "fe",                // options 0xFE: every undefined bit, not the compression bit
                open);
        assertFalse(open.compression());
        assertControl(""
                + "03"                 // kind OPEN_CHANNEL
                + "0100"               // ch_id 1
                + "01"                 // channel_type FILE
                + "ff",                // options 0xFF
                new ControlMessage.OpenChannel(1, ChannelType.FILE, 0xFF));
    }

    @Test
    void windowUpdateForTheStreamOfOneByte() throws ProtocolException {
        assertControl(""
                + "11"                 // kind WINDOW_UPDATE
                + "0000"               // ch_id 0: the stream as a whole
                + "01000000",          // increment 1, the smallest
                new ControlMessage.WindowUpdate(0, 1));
    }

    @Test
    void windowUpdateForAChannelOfTheLargestIncrement() throws ProtocolException {
        assertControl(""
                + "11"                 // kind WINDOW_UPDATE
                + "0501"               // ch_id 0x0105
                + "ffffff7f",          // increment 2^31-1, the largest
                new ControlMessage.WindowUpdate(0x0105, FlowWindow.MAX_WINDOW));
        assertEquals(Integer.MAX_VALUE, FlowWindow.MAX_WINDOW);
    }

    @Test
    void windowUpdateOnTheLastChannelId() throws ProtocolException {
        assertControl(""
                + "11"                 // kind WINDOW_UPDATE
                + "ffff"               // ch_id 65535 (u16, not a negative short)
                + "00000800",          // increment 512 KiB: half the initial channel window
                new ControlMessage.WindowUpdate(0xFFFF, FlowWindow.INITIAL_CHANNEL_WINDOW / 2));
        assertEquals(ControlCodec.WINDOW_UPDATE_SIZE, ControlCodec.encode(new ControlMessage.WindowUpdate(1, 1)).length);
    }

    @Test
    void ackOfThreeMessagesOnChannelOne() throws ProtocolException {
        assertControl(""
                + "12"                 // kind ACK
                + "0100"               // ch_id 1
                + "0300000000000000",  // delivered 3
                new ControlMessage.Ack(1, 3));
        assertEquals(ControlCodec.ACK_SIZE, ControlCodec.encode(new ControlMessage.Ack(1, 0)).length);
    }

    @Test
    void ackOnTheLastChannelIdOfTheLargestCount() throws ProtocolException {
        assertControl(""
                + "12"                 // kind ACK
                + "ffff"               // ch_id 65535 (u16, not a negative short)
                + "ffffffffffffffff",  // delivered 2^64-1 (u64: -1 as a Java long)
                new ControlMessage.Ack(0xFFFF, -1L));
    }

    @Test
    void ackEncoderRefusesChannelsTheWireCannotCarry() {
        for (int ch : new int[] {0, -1, 0x10000}) {
            assertEquals("an ACK names a channel 1..65535: " + ch, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.Ack(ch, 1))).getMessage());
        }
    }

    @Test
    void windowUpdateEncoderRefusesWhatTheWireCannotCarry() {
        for (long increment : new long[] {0, -1, FlowWindow.MAX_WINDOW + 1, 0xFFFF_FFFFL, 0x1_0000_0000L}) {
            assertEquals("increment must be 1..2147483647: " + increment, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.WindowUpdate(1, increment))).getMessage());
        }
        for (int ch : new int[] {-1, 0x10000}) {
            assertEquals("channel id must be 0..65535: " + ch, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.WindowUpdate(ch, 1))).getMessage());
        }
    }

    @Test
    void openAck() throws ProtocolException {
        assertControl(""
                + "04"                 // kind OPEN_ACK
                + "ffff",              // ch_id 65535
                new ControlMessage.OpenAck(0xFFFF));
    }

    @Test
    void openRejectWithMultibyteReason() throws ProtocolException {
        assertControl(""
                + "05"                           // kind OPEN_REJECT
                + "0700"                         // ch_id 7
                + "0b00"                         // code UNSUPPORTED_CHANNEL_TYPE
                + "6e6f2068616e646c65723a20"     // reason "no handler: "
                + "e282ac",                      //        "€" (U+20AC, 3 bytes)
                new ControlMessage.OpenReject(7, ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), "no handler: €"));
    }

    @Test
    void openRejectWithoutReason() throws ProtocolException {
        assertControl(""
                + "05"                 // kind OPEN_REJECT
                + "0200"               // ch_id 2
                + "13ff",              // code 0xFF13 (unknown to us, kept)
                new ControlMessage.OpenReject(2, 0xFF13, ""));
    }

    @Test
    void closeReasonWithMultibyteText() throws ProtocolException {
        assertCloseReason(""
                + "1100"               // code MALFORMED_FRAME
                + "4772"               // reason "Gr"
                + "c3bc"               //        "ü"
                + "c39f"               //        "ß"
                + "65",                //        "e"
                CloseReason.of(ErrorCode.MALFORMED_FRAME, "Grüße"));
    }

    @Test
    void closeReasonNormalWithoutText() throws ProtocolException {
        assertCloseReason(""
                + "0000",              // code NORMAL, no reason
                CloseReason.of(ErrorCode.NORMAL, ""));
        assertEquals(new CloseReason(0, ""), new CloseReason(0, null), "a null reason is the empty reason");
    }

    @Test
    void closeReasonWithCodeFromANewerPeer() throws ProtocolException {
        CloseReason reason = new CloseReason(0xBEEF, "x");
        assertCloseReason(""
                + "efbe"               // code 0xBEEF
                + "78",                // reason "x"
                reason);
        assertNull(reason.errorCode());
        assertEquals("code(0xbeef): x", reason.toString());
        assertEquals(ErrorCode.GOING_AWAY, new CloseReason(0x0014, "").errorCode());
        assertEquals("GOING_AWAY(0x0014)", new CloseReason(0x0014, "").toString());
    }

    @Test
    void closeReasonRejectsCodesThatAreNotU16() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CloseReason(0x10000, "")).getMessage().contains("u16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CloseReason(-1, "")).getMessage().contains("u16"));
    }

    @Test
    void keepAlivePing() throws ProtocolException {
        assertKeepAlive(""
                + "00"                 // kind ping
                + "0807060504030201",  // timestamp 0x0102030405060708
                new KeepAlivePayload(false, 0x0102030405060708L));
    }

    @Test
    void keepAlivePong() throws ProtocolException {
        assertKeepAlive(""
                + "01"                 // kind pong
                + "ffffffffffffffff",  // timestamp -1, echoed unchanged
                new KeepAlivePayload(true, -1L));
        assertKeepAlive(""
                + "01"                 // kind pong
                + "0000000000000080",  // timestamp Long.MIN_VALUE: the top byte is last
                new KeepAlivePayload(true, Long.MIN_VALUE));
    }

    @Test
    void keepAliveEncodesIntoAnArrayAtAnOffset() {
        byte[] dst = new byte[3 + KeepAlivePayload.SIZE + 2];
        KeepAlivePayload.encode(dst, 3, true, 0x1122334455667788L);
        Hex.assertBytes(""
                + "000000"             // untouched
                + "01"                 // kind pong
                + "8877665544332211"   // timestamp
                + "0000",              // untouched
                dst, "KeepAlivePayload.encode(byte[], 3, ...)");
    }

    @Test
    void errorCodesAreStableWireValues() {
        // Never renumber: these travel in CLOSE/ERROR and OPEN_REJECT.
        Object[][] table = {
                {ErrorCode.NORMAL, 0x0000}, {ErrorCode.PROTOCOL_VIOLATION, 0x0001}, {ErrorCode.FRAME_TOO_LARGE, 0x0002},
                {ErrorCode.UNKNOWN_PACKET_TYPE, 0x0003}, {ErrorCode.RESERVED_FLAGS, 0x0004}, {ErrorCode.UNKNOWN_CHANNEL, 0x0005},
                {ErrorCode.CHANNEL_CLOSED, 0x0006}, {ErrorCode.BAD_SEQUENCE, 0x0007}, {ErrorCode.STREAM_NOT_READY, 0x0008},
                {ErrorCode.MALFORMED_CONTROL, 0x0009}, {ErrorCode.BAD_CHANNEL_ID, 0x000A},
                {ErrorCode.UNSUPPORTED_CHANNEL_TYPE, 0x000B}, {ErrorCode.FLAG_NOT_NEGOTIATED, 0x000C},
                {ErrorCode.KEEPALIVE_TIMEOUT, 0x000D}, {ErrorCode.TRUNCATED_FRAME, 0x000E}, {ErrorCode.UNSUPPORTED_VERSION, 0x000F},
                {ErrorCode.SETUP_TIMEOUT, 0x0010}, {ErrorCode.MALFORMED_FRAME, 0x0011}, {ErrorCode.HANDLER_FAILED, 0x0012},
                {ErrorCode.RESOURCE_EXHAUSTED, 0x0013}, {ErrorCode.GOING_AWAY, 0x0014},
                {ErrorCode.CONNECTION_LOST, 0x0015},
                {ErrorCode.BAD_SIGNATURE, 0x0016}, {ErrorCode.BAD_FINISHED, 0x0017}, {ErrorCode.AUTH_REQUIRED, 0x0018},
                {ErrorCode.AUTH_REFUSED, 0x0019}, {ErrorCode.IDENTITY_MISMATCH, 0x001A}, {ErrorCode.NO_COMMON_SUITE, 0x001B},
                {ErrorCode.DECRYPT_FAILED, 0x001C}, {ErrorCode.NOT_ENCRYPTED, 0x001D}, {ErrorCode.MALFORMED_HANDSHAKE, 0x001E},
                {ErrorCode.SECURITY_REQUIRED, 0x001F}, {ErrorCode.HANDSHAKE_BUSY, 0x0020}, {ErrorCode.KEY_REJECTED, 0x0021},
                {ErrorCode.BAD_KEY_UPDATE, 0x0022},
                {ErrorCode.FLOW_CONTROL_VIOLATION, 0x0023}, {ErrorCode.MESSAGE_TOO_LARGE, 0x0024},
                {ErrorCode.UNKNOWN_FRAGMENT, 0x0025}, {ErrorCode.FRAGMENT_OUT_OF_ORDER, 0x0026},
                {ErrorCode.REASSEMBLY_TIMEOUT, 0x0027}, {ErrorCode.DECOMPRESSION_FAILED, 0x0028},
                {ErrorCode.OUTPUT_STALLED, 0x0029}, {ErrorCode.MALFORMED_CLUSTER_MESSAGE, 0x002A},
                {ErrorCode.CLUSTER_REFUSED, 0x002B}, {ErrorCode.NOT_A_MEMBER, 0x002C}, {ErrorCode.LINK_REFUSED, 0x002D},
                {ErrorCode.SLOW_CONSUMER, 0x002E},
                {ErrorCode.BAD_ACK, 0x002F}, {ErrorCode.MALFORMED_FILE_MESSAGE, 0x0030}, {ErrorCode.FILE_REFUSED, 0x0031},
                {ErrorCode.FILE_NOT_FOUND, 0x0032}, {ErrorCode.FILE_CORRUPT, 0x0033}, {ErrorCode.FILE_IO_ERROR, 0x0034},
                {ErrorCode.MALFORMED_SERVICE_MESSAGE, 0x0035}, {ErrorCode.SERVICE_BAD_REQUEST, 0x0036},
                {ErrorCode.SERVICE_HEADERS_TOO_LARGE, 0x0037}, {ErrorCode.SERVICE_UPSTREAM_REFUSED, 0x0038},
                {ErrorCode.SERVICE_UPSTREAM_FAILED, 0x0039}, {ErrorCode.SERVICE_REQUEST_LIMIT, 0x003A},
                {ErrorCode.TICKET_INVALID, 0x0040}, {ErrorCode.TICKET_BINDER_MISMATCH, 0x0041}, {ErrorCode.TICKET_EXPIRED, 0x0042},
                {ErrorCode.TICKET_WRONG_NODE, 0x0043}, {ErrorCode.SESSION_UNKNOWN, 0x0044}, {ErrorCode.TICKET_REPLAYED, 0x0045},
                {ErrorCode.SESSION_EXPIRED, 0x0046}, {ErrorCode.HANDOVER_FAILED, 0x0047}, {ErrorCode.SESSION_MOVED, 0x0048},
                {ErrorCode.SESSION_LOST, 0x0049},
                {ErrorCode.INTERNAL_ERROR, 0x00FF}};
        assertEquals(ErrorCode.values().length, table.length, "a code was added: add it here with its wire value");
        for (Object[] row : table) {
            ErrorCode code = (ErrorCode) row[0];
            assertEquals((int) row[1], code.code(), code.name());
            assertEquals(code, ErrorCode.fromCode((int) row[1]));
        }
        assertNull(ErrorCode.fromCode(0x003B));
        assertNull(ErrorCode.fromCode(0x004A));
        assertNull(ErrorCode.fromCode(0xBEEF));
        assertEquals("MALFORMED_CONTROL (0x0009): empty CONTROL payload on ch 0",
                new ProtocolException(ErrorCode.MALFORMED_CONTROL, "empty CONTROL payload on ch 0").toString());
    }

    // ---- reasons over 512 bytes are cut at a character boundary ----

    @Test
    void reasonOfExactly512BytesIsKeptWhole() throws ProtocolException {
        String ascii = "a".repeat(512);
        assertReasonCutTo(ascii, ascii);
        String endsInEuro = "a".repeat(509) + "€";      // 509 + 3 = 512
        assertReasonCutTo(endsInEuro, endsInEuro);
        String endsInEmoji = "a".repeat(508) + "\uD83D\uDE00"; // 508 + 4 = 512
        assertReasonCutTo(endsInEmoji, endsInEmoji);
    }

    @Test
    void asciiReasonIsCutAt512Bytes() throws ProtocolException {
        assertReasonCutTo("a".repeat(600), "a".repeat(512));
        assertReasonCutTo("b".repeat(513), "b".repeat(512));
    }

    @Test
    void multibyteCharacterStraddlingTheLimitIsDroppedWhole() throws ProtocolException {
        // 2-byte "é" at bytes 511..512
        assertReasonCutTo("a".repeat(511) + "é" + "zzz", "a".repeat(511));
        // 3-byte "€" at 510..512 and at 511..513
        assertReasonCutTo("a".repeat(510) + "€", "a".repeat(510));
        assertReasonCutTo("a".repeat(511) + "€", "a".repeat(511));
        // 4-byte U+1F600 at 509..512, 510..513, 511..514
        String emoji = "\uD83D\uDE00";
        assertReasonCutTo("a".repeat(509) + emoji, "a".repeat(509));
        assertReasonCutTo("a".repeat(510) + emoji, "a".repeat(510));
        assertReasonCutTo("a".repeat(511) + emoji, "a".repeat(511));
        // all multibyte: 200 x "€" = 600 bytes; 170 whole ones fit (510 bytes)
        assertReasonCutTo("€".repeat(200), "€".repeat(170));
    }

    @Test
    void goAwayWithAlternateAndReason() throws ProtocolException {
        assertControl(""
                + "10"                           // kind GOAWAY
                + "204e0000"                     // grace_ms 20000
                + "0d"                           // alt_len 13
                + "31302e302e302e373a38303739"   // alternate "10.0.0.7:8079"
                + "647261696e696e67",            // reason "draining"
                new ControlMessage.GoAway(20_000, "10.0.0.7:8079", "draining"));
    }

    @Test
    void goAwayWithoutAlternateOrReason() throws ProtocolException {
        assertControl(""
                + "10"                 // kind GOAWAY
                + "00000000"           // grace_ms 0: close now
                + "00",                // alt_len 0: none known
                new ControlMessage.GoAway(0, "", ""));
    }

    @Test
    void goAwayGraceIsAnUnsignedU32AndTheAlternateMayBeAnIpv6Literal() throws ProtocolException {
        assertControl(""
                + "10"                       // kind GOAWAY
                + "ffffffff"                 // grace_ms 4294967295
                + "0b"                       // alt_len 11
                + "5b3a3a315d3a3635353335"   // alternate "[::1]:65535"
                + "e282ac",                  // reason "€"
                new ControlMessage.GoAway(0xFFFF_FFFFL, "[::1]:65535", "€"));
    }

    @Test
    void goAwayEncoderRefusesWhatTheWireCannotCarry() {
        assertEquals("grace_ms is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.encode(new ControlMessage.GoAway(-1, "", ""))).getMessage());
        assertEquals("grace_ms is a u32: 4294967296", assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.encode(new ControlMessage.GoAway(0x1_0000_0000L, "", ""))).getMessage());
        assertEquals("alternate must be host:port, got 'node-2'", assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.encode(new ControlMessage.GoAway(1, "node-2", ""))).getMessage());
        String tooLong = "h".repeat(251) + ":8079"; // 256 bytes
        assertEquals("alternate is 256 bytes, at most 255", assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.encode(new ControlMessage.GoAway(1, tooLong, ""))).getMessage());
    }

    @Test
    void goAwayAlternateOf255BytesIsTheLongest() throws ProtocolException {
        String longest = "h".repeat(250) + ":8079";
        byte[] bytes = ControlCodec.encode(new ControlMessage.GoAway(5, longest, ""));
        assertEquals(ControlCodec.GOAWAY_MIN_SIZE + 255, bytes.length);
        assertEquals((byte) 0xFF, bytes[5], "alt_len");
        assertEquals(new ControlMessage.GoAway(5, longest, ""), ControlCodec.decode(ByteBuffer.wrap(bytes)));
    }

    @Test
    void controlEncoderRejectsChannelIdsOutside1To65535() {
        for (int ch : new int[] {0, -1, 0x10000}) {
            String expected = "channel id must be 1..65535: " + ch;
            assertEquals(expected, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.OpenChannel(ch, ChannelType.FILE, 0))).getMessage());
            assertEquals(expected, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.OpenAck(ch))).getMessage());
            assertEquals(expected, assertThrows(IllegalArgumentException.class,
                    () -> ControlCodec.encode(new ControlMessage.OpenReject(ch, 1, ""))).getMessage());
        }
    }

    /**
     * The reason is cut the same way in OPEN_REJECT and in CLOSE/ERROR, and what is sent is
     * accepted by the receiver: valid UTF-8, within the limit.
     */
    private static void assertReasonCutTo(String reason, String expectedSent) throws ProtocolException {
        byte[] sent = expectedSent.getBytes(StandardCharsets.UTF_8);
        assertTrue(sent.length <= CloseReason.MAX_REASON_BYTES);

        byte[] close = new CloseReason(ErrorCode.PROTOCOL_VIOLATION.code(), reason).encode();
        Hex.assertBytes("0100" + Hex.encode(sent), close, "CloseReason.encode of a " + reason.length() + "-char reason");
        assertEquals(new CloseReason(1, expectedSent), CloseReason.decode(ByteBuffer.wrap(close)));

        byte[] reject = ControlCodec.encode(new ControlMessage.OpenReject(9, 0x000B, reason));
        Hex.assertBytes("05 0900 0b00" + Hex.encode(sent), reject, "OPEN_REJECT of a " + reason.length() + "-char reason");
        assertEquals(new ControlMessage.OpenReject(9, 0x000B, expectedSent), ControlCodec.decode(ByteBuffer.wrap(reject)));
    }

    private static void assertControl(String hex, ControlMessage message) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        Hex.assertBytes(bytes, ControlCodec.encode(message), "encode " + message);
        assertEquals(message, ControlCodec.decode(ByteBuffer.wrap(bytes)), "decode\n" + Hex.dump(bytes));
        ByteBuffer embedded = embed(bytes);
        int position = embedded.position();
        assertEquals(message, ControlCodec.decode(embedded), "decode from a big-endian slice at an offset");
        assertEquals(position, embedded.position(), "decode moved the position");
        assertEquals(ByteOrder.BIG_ENDIAN, embedded.order(), "decode changed the caller's byte order");
    }

    private static void assertCloseReason(String hex, CloseReason reason) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        Hex.assertBytes(bytes, reason.encode(), "encode " + reason);
        assertEquals(reason, CloseReason.decode(ByteBuffer.wrap(bytes)), "decode\n" + Hex.dump(bytes));
        ByteBuffer embedded = embed(bytes);
        int position = embedded.position();
        assertEquals(reason, CloseReason.decode(embedded), "decode from a big-endian slice at an offset");
        assertEquals(position, embedded.position(), "decode moved the position");
    }

    private static void assertKeepAlive(String hex, KeepAlivePayload payload) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        assertEquals(KeepAlivePayload.SIZE, bytes.length);
        Hex.assertBytes(bytes, payload.encode(), "encode " + payload);
        assertEquals(payload, KeepAlivePayload.decode(ByteBuffer.wrap(bytes)), "decode\n" + Hex.dump(bytes));
        ByteBuffer embedded = embed(bytes);
        int position = embedded.position();
        assertEquals(payload, KeepAlivePayload.decode(embedded), "decode from a big-endian slice at an offset");
        assertEquals(position, embedded.position(), "decode moved the position");
    }

    /**
     * {@code bytes} as position..limit of a big-endian slice that starts at an offset of its
     * backing array and has garbage on both sides, as a frame payload lent by the decoder has.
     */
    private static ByteBuffer embed(byte[] bytes) {
        byte[] backing = new byte[7 + 3 + bytes.length + 5];
        java.util.Arrays.fill(backing, (byte) 0xEE);
        System.arraycopy(bytes, 0, backing, 10, bytes.length);
        ByteBuffer slice = ByteBuffer.wrap(backing, 7, backing.length - 7).slice().order(ByteOrder.BIG_ENDIAN);
        slice.position(3).limit(3 + bytes.length);
        assertArrayEquals(bytes, Hex.bytes(slice));
        return slice;
    }
}
