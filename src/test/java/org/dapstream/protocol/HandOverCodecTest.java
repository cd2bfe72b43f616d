package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The LINK messages that move a session between members (HANDOVER_ASK, HANDOVER_PART,
 * HANDOVER_REFUSED): exact bytes both ways, and every malformed form a member must refuse with
 * MALFORMED_CLUSTER_MESSAGE naming the field. Every integer is little-endian.
 */
class HandOverCodecTest {
    private static final NodeAddress MEMBER = NodeAddress.parse("0123::4567::89AB::CDEF");
    private static final String MEMBER_HEX = "efcdab8967452301";

    // ---- golden bytes ----

    @Test
    void ask() throws ProtocolException {
        assertGolden(""
                + "06"                 // kind HANDOVER_ASK
                + "04030201"           // request 0x01020304
                + "4d3c2b1a"           // session 0x1A2B3C4D
                + "feffffff",          // ticket 4294967294 (u32, not negative)
                new LinkMessage.HandOverAsk(0x01020304, 0x1A2B3C4D, 0xFFFF_FFFEL));
    }

    @Test
    void askOfTheFirstTicket() throws ProtocolException {
        LinkMessage.HandOverAsk ask = (LinkMessage.HandOverAsk) assertGolden(""
                + "06"                 // kind HANDOVER_ASK
                + "ffffffff"           // request 0xFFFFFFFF
                + "01000000"           // session 1
                + "00000000",          // ticket 0
                new LinkMessage.HandOverAsk(-1, 1, 0));
        assertEquals(-1, ask.request());
        assertEquals(LinkCodec.HANDOVER_ASK_SIZE, LinkCodec.encode(ask).length);
    }

    @Test
    void partNotLast() throws ProtocolException {
        LinkMessage.HandOverPart part = (LinkMessage.HandOverPart) assertGolden(""
                + "07"                 // kind HANDOVER_PART
                + "05000000"           // request 5
                + "00"                 // last 0: more follow
                + "010203fe",          // data
                new LinkMessage.HandOverPart(5, false, ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 0xFE})));
        assertEquals(5, part.request());
        assertFalse(part.last());
        assertEquals("010203fe", Hex.encode(part.data()));
    }

    @Test
    void lastPart() throws ProtocolException {
        LinkMessage.HandOverPart part = (LinkMessage.HandOverPart) assertGolden(""
                + "07"                 // kind HANDOVER_PART
                + "05000000"           // request 5
                + "01"                 // last 1
                + "6869",              // data "hi"
                new LinkMessage.HandOverPart(5, true, bytes("hi")));
        assertTrue(part.last());
        assertEquals("6869", Hex.encode(part.data()));
    }

    @Test
    void partsWithoutData() throws ProtocolException {
        LinkMessage.HandOverPart last = (LinkMessage.HandOverPart) assertGolden(""
                + "07"                 // kind HANDOVER_PART
                + "ffffffff"           // request 0xFFFFFFFF
                + "01",                // last 1; no data
                new LinkMessage.HandOverPart(-1, true, bytes("")));
        assertTrue(last.last());
        assertEquals(0, last.data().remaining());
        LinkMessage.HandOverPart notLast = (LinkMessage.HandOverPart) assertGolden(""
                + "07"                 // kind HANDOVER_PART
                + "00000000"           // request 0
                + "00",                // last 0; no data
                new LinkMessage.HandOverPart(0, false, bytes("")));
        assertFalse(notLast.last());
        assertEquals(0, notLast.data().remaining());
    }

    @Test
    void refusedWithoutMovedTo() throws ProtocolException {
        LinkMessage.HandOverRefused refused = (LinkMessage.HandOverRefused) assertGolden(""
                + "08"                 // kind HANDOVER_REFUSED
                + "09000000"           // request 9
                + "4400"               // code SESSION_UNKNOWN 0x0044
                + "0000000000000000"   // moved_to none
                + "6e6f2073756368207365737369 6f6e", // reason "no such session"
                new LinkMessage.HandOverRefused(9, ErrorCode.SESSION_UNKNOWN, NodeAddress.NONE, "no such session"));
        assertEquals(NodeAddress.NONE, refused.movedTo());
        assertEquals("no such session", refused.reason());
    }

    @Test
    void refusedBecauseTheSessionMovedOn() throws ProtocolException {
        LinkMessage.HandOverRefused refused = (LinkMessage.HandOverRefused) assertGolden(""
                + "08"                 // kind HANDOVER_REFUSED
                + "0a000000"           // request 10
                + "4800"               // code SESSION_MOVED 0x0048
                + MEMBER_HEX           // moved_to 0123::4567::89AB::CDEF
                + "64c3a96ac3a0",      // reason "déjà" (two 2-byte sequences)
                new LinkMessage.HandOverRefused(10, ErrorCode.SESSION_MOVED, MEMBER, "déjà"));
        assertEquals(ErrorCode.SESSION_MOVED, refused.code());
        assertEquals(MEMBER, refused.movedTo());
        assertEquals("déjà", refused.reason());
    }

    @Test
    void refusedWithoutReason() throws ProtocolException {
        assertGolden(""
                + "08"                 // kind HANDOVER_REFUSED
                + "0b000000"           // request 11
                + "4500"               // code TICKET_REPLAYED 0x0045
                + "0000000000000000",  // moved_to none; no reason
                new LinkMessage.HandOverRefused(11, ErrorCode.TICKET_REPLAYED, null, null));
        assertEquals(LinkCodec.HANDOVER_REFUSED_FIXED_SIZE,
                LinkCodec.encode(new LinkMessage.HandOverRefused(11, ErrorCode.TICKET_REPLAYED, null, null)).length);
    }

    @Test
    void refusedWithTheLongestReason() throws ProtocolException {
        String reason = "r".repeat(CloseReason.MAX_REASON_BYTES);
        LinkMessage.HandOverRefused refused = new LinkMessage.HandOverRefused(1, ErrorCode.HANDOVER_FAILED, null, reason);
        byte[] bytes = LinkCodec.encode(refused);
        assertEquals(LinkCodec.HANDOVER_REFUSED_FIXED_SIZE + 512, bytes.length);
        assertEquals(refused, LinkCodec.decode(bytes));
    }

    @Test
    void encoderCutsALongReasonAtACharacterBoundary() throws ProtocolException {
        // 511 bytes of 'a' then 'é' (2 bytes): 513 bytes; the cut may not split the 'é'
        String reason = "a".repeat(511) + "é";
        byte[] bytes = LinkCodec.encode(new LinkMessage.HandOverRefused(1, ErrorCode.SESSION_UNKNOWN, null, reason));
        assertEquals(LinkCodec.HANDOVER_REFUSED_FIXED_SIZE + 511, bytes.length);
        assertEquals("a".repeat(511), ((LinkMessage.HandOverRefused) LinkCodec.decode(bytes)).reason());
    }

    @Test
    void askEncoderRefusesATicketNumberBeyondU32() {
        assertEquals("ticket is a u32: 4294967296", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.HandOverAsk(1, 1, 0x1_0000_0000L))).getMessage());
        assertEquals("ticket is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.HandOverAsk(1, 1, -1))).getMessage());
    }

    @Test
    void partEncoderDoesNotMoveTheDataAndDecodedDataIsASlice() throws ProtocolException {
        ByteBuffer data = ByteBuffer.wrap("xabcx".getBytes(StandardCharsets.UTF_8), 1, 3);
        byte[] bytes = LinkCodec.encode(new LinkMessage.HandOverPart(2, false, data));
        Hex.assertBytes("07 02000000 00 616263", bytes, "encode");
        assertEquals(1, data.position(), "the data buffer does not move");
        LinkMessage.HandOverPart part = (LinkMessage.HandOverPart) LinkCodec.decode(bytes);
        assertSame(bytes, part.data().array(), "no copy");
        assertEquals(LinkCodec.HANDOVER_PART_FIXED_SIZE, part.data().arrayOffset() + part.data().position());
    }

    // ---- malformed ----

    static Stream<Arguments> malformed() {
        List<Arguments> rows = new ArrayList<>();
        rows.add(row("ASK one byte long", "06 01000000 02000000 03000000 00", "HANDOVER_ASK has 1 trailing bytes after its last field"));
        rows.add(row("ASK four bytes long", "06 01000000 02000000 03000000 04000000",
                "HANDOVER_ASK has 4 trailing bytes after its last field"));
        rows.add(row("PART last 2", "07 01000000 02 6869", "HANDOVER_PART last is 2; 0 and 1 are defined"));
        rows.add(row("PART last 0xff, no data", "07 01000000 ff", "HANDOVER_PART last is 255; 0 and 1 are defined"));
        rows.add(row("REFUSED code 0x004A (after SESSION_LOST)", "08 01000000 4a00 0000000000000000",
                "HANDOVER_REFUSED code 0x004a is not defined"));
        rows.add(row("REFUSED code 0xBEEF", "08 01000000 efbe 0000000000000000 6869", "HANDOVER_REFUSED code 0xbeef is not defined"));
        rows.add(row("REFUSED reason of 513 bytes", "08 01000000 4400 0000000000000000 " + "61".repeat(513),
                "HANDOVER_REFUSED reason is 513 bytes, limit 512"));
        rows.add(row("REFUSED reason, lone continuation byte", "08 01000000 4400 0000000000000000 61 80",
                "HANDOVER_REFUSED reason is not valid UTF-8"));
        rows.add(row("REFUSED reason, truncated 2-byte sequence", "08 01000000 4400 0000000000000000 c3",
                "HANDOVER_REFUSED reason is not valid UTF-8"));
        rows.add(row("REFUSED reason, overlong '/'", "08 01000000 4400 0000000000000000 c0af",
                "HANDOVER_REFUSED reason is not valid UTF-8"));
        rows.add(row("REFUSED reason, encoded surrogate", "08 01000000 4400 0000000000000000 eda080",
                "HANDOVER_REFUSED reason is not valid UTF-8"));
        rows.add(row("REFUSED reason, byte 0xff", "08 01000000 4400 0000000000000000 ff",
                "HANDOVER_REFUSED reason is not valid UTF-8"));
        rows.add(row("kind 0x0b (after CLAIM_GRANTED)", "0b 01000000 02000000 03000000", "unknown LINK message kind 0x0b"));
        // every cut of each kind's fixed part, the field it falls in named with what was left of it
        rows.addAll(truncations("HANDOVER_ASK", "06 04030201 4d3c2b1a feffffff",
                new String[] {"request", "session", "ticket"}, new int[] {4, 4, 4}));
        rows.addAll(truncations("HANDOVER_PART", "07 05000000 01",
                new String[] {"request", "last"}, new int[] {4, 1}));
        rows.addAll(truncations("HANDOVER_REFUSED", "08 09000000 4400 " + MEMBER_HEX,
                new String[] {"request", "code", "moved_to"}, new int[] {4, 2, 8}));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void isRefused(String name, String hex, String message) {
        byte[] bytes = Hex.decode(hex);
        ByteBuffer payload = ByteBuffer.wrap(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> LinkCodec.decode(payload),
                () -> "accepted\n" + Hex.dump(bytes));
        assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code(), () -> e + "\n" + Hex.dump(bytes));
        assertEquals(message, e.getMessage(), () -> Hex.dump(bytes));
        assertEquals(0, payload.position(), "a refused payload is left as it was");
    }

    @Test
    void theTruncationTableCoversEveryCut() {
        // the kind byte alone up to one byte short of the fixed part, for each kind
        long cuts = malformed().filter(a -> ((String) a.get()[0]).contains(" cut to ")).count();
        assertEquals((LinkCodec.HANDOVER_ASK_SIZE - 1) + (LinkCodec.HANDOVER_PART_FIXED_SIZE - 1)
                + (LinkCodec.HANDOVER_REFUSED_FIXED_SIZE - 1), cuts);
    }

    /**
     * A row for each length 1..n-1 of {@code full} (the fixed part of a message): the refusal
     * names the field the cut falls in, how long it is and how many of its bytes remain.
     */
    private static List<Arguments> truncations(String kind, String full, String[] fields, int[] sizes) {
        byte[] bytes = Hex.decode(full);
        List<Arguments> rows = new ArrayList<>();
        int start = 1;
        for (int f = 0; f < fields.length; f++) {
            for (int length = start; length < start + sizes[f]; length++) {
                byte[] cut = new byte[length];
                System.arraycopy(bytes, 0, cut, 0, length);
                rows.add(row(kind + " cut to " + length + " bytes", Hex.encode(cut),
                        kind + " is truncated: " + fields[f] + " needs " + sizes[f] + " bytes, " + (length - start) + " remain"));
            }
            start += sizes[f];
        }
        assertEquals(bytes.length, start, "the fields add up to the fixed part");
        return rows;
    }

    private static Arguments row(String name, String hex, String message) {
        return Arguments.of(name, hex, message);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * encode(message) is {@code hex}, and {@code hex} decodes to {@code message} from an array,
     * at an offset (the position does not move), from a direct and from a read-only buffer.
     * Record equality compares a ByteBuffer field by its remaining bytes.
     */
    private static LinkMessage assertGolden(String hex, LinkMessage message) throws ProtocolException {
        Hex.assertBytes(hex, LinkCodec.encode(message), "encode " + message);
        LinkMessage decoded = LinkCodec.decode(Hex.decode(hex));
        assertEquals(message, decoded);
        assertEquals(message.kind(), decoded.kind());
        assertEquals(message.kind(), Hex.decode(hex)[0]);
        byte[] padded = Hex.decode("ab" + hex + "cd");
        ByteBuffer atOffset = ByteBuffer.wrap(padded, 1, padded.length - 2);
        assertEquals(message, LinkCodec.decode(atOffset));
        assertEquals(1, atOffset.position());
        ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded).position(1).limit(padded.length - 1);
        assertEquals(message, LinkCodec.decode(direct));
        assertEquals(message, LinkCodec.decode(atOffset.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN)));
        if (decoded instanceof LinkMessage.HandOverPart part) {
            // field by field as well: the data's bytes, not the buffer
            LinkMessage.HandOverPart expected = (LinkMessage.HandOverPart) message;
            assertEquals(expected.request(), part.request());
            assertEquals(expected.last(), part.last());
            assertArrayEquals(Hex.bytes(expected.data()), Hex.bytes(part.data()));
        }
        return decoded;
    }
}
