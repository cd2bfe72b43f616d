package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Exact bytes of every CLUSTER channel message, both ways; every integer is little-endian. */
class ClusterCodecGoldenTest {
    private static final NodeAddress ORIGIN = NodeAddress.parse("0123::4567::89AB::CDEF");

    @Test
    void join() throws ProtocolException {
        assertCluster(""
                + "01"                 // kind JOIN
                + "2a000000"           // request 42
                + "06"                 // name_len 6
                + "707269636573",      // name "prices"
                new ClusterMessage.Join(42, "prices"));
    }

    @Test
    void joinWithTheTopBitOfTheRequestAndAMultibyteName() throws ProtocolException {
        assertCluster(""
                + "01"                 // kind JOIN
                + "ffffffff"           // request 0xFFFFFFFF
                + "07"                 // name_len 7 (bytes, not characters)
                + "4772c3bcc39f65",    // name "Grüße"
                new ClusterMessage.Join(0xFFFF_FFFF, "Grüße"));
    }

    @Test
    void leave() throws ProtocolException {
        assertCluster(""
                + "02"                 // kind LEAVE
                + "07000000"           // request 7
                + "06"                 // name_len 6
                + "707269636573",      // name "prices"
                new ClusterMessage.Leave(7, "prices"));
    }

    @Test
    void publish() throws ProtocolException {
        assertCluster(""
                + "03"                 // kind PUBLISH
                + "06"                 // name_len 6
                + "707269636573"       // name "prices"
                + "6869",              // payload "hi"
                new ClusterMessage.Publish("prices", bytes("hi")));
    }

    @Test
    void publishOfAnEmptyPayload() throws ProtocolException {
        assertCluster(""
                + "03"                 // kind PUBLISH
                + "01"                 // name_len 1
                + "61",                // name "a", no payload
                new ClusterMessage.Publish("a", bytes("")));
    }

    @Test
    void send() throws ProtocolException {
        assertCluster(""
                + "04"                 // kind SEND
                + "06"                 // name_len 6
                + "707269636573"       // name "prices"
                + "02"                 // key_len 2
                + "6b31"               // key "k1"
                + "78",                // payload "x"
                new ClusterMessage.Send("prices", "k1".getBytes(StandardCharsets.UTF_8), bytes("x")));
    }

    @Test
    void sendWithoutKeyOrPayload() throws ProtocolException {
        ClusterMessage.Send send = new ClusterMessage.Send("a", null, bytes(""));
        assertCluster(""
                + "04"                 // kind SEND
                + "01"                 // name_len 1
                + "61"                 // name "a"
                + "00",                // key_len 0: no key; no payload
                send);
        assertEquals(0, send.key().length, "a null key is the empty key");
    }

    @Test
    void joined() throws ProtocolException {
        assertCluster(""
                + "81"                 // kind JOINED
                + "2a000000"           // request 42
                + "03000000"           // ref 3
                + "1e000000",          // members 30
                new ClusterMessage.Joined(42, 3, 30));
        assertCluster(""
                + "81"                 // kind JOINED
                + "01000000"           // request 1
                + "00000080"           // ref 0x80000000
                + "ffffffff",          // members 4294967295 (u32, not -1)
                new ClusterMessage.Joined(1, 0x8000_0000, 0xFFFF_FFFFL));
    }

    @Test
    void left() throws ProtocolException {
        assertCluster(""
                + "82"                 // kind LEFT
                + "07000000"           // request 7
                + "03000000",          // ref 3
                new ClusterMessage.Left(7, 3));
    }

    @Test
    void refused() throws ProtocolException {
        assertCluster(""
                + "83"                 // kind REFUSED
                + "2a000000"           // request 42
                + "2b00"               // code CLUSTER_REFUSED
                + "0b00"               // reason_len 11
                + "6e6f7420616c6c6f776564", // reason "not allowed"
                new ClusterMessage.Refused(42, ErrorCode.CLUSTER_REFUSED.code(), "not allowed"));
    }

    @Test
    void refusedWithoutReason() throws ProtocolException {
        assertCluster(""
                + "83"                 // kind REFUSED
                + "07000000"           // request 7
                + "2c00"               // code NOT_A_MEMBER
                + "0000",              // reason_len 0
                new ClusterMessage.Refused(7, ErrorCode.NOT_A_MEMBER.code(), null));
    }

    @Test
    void message() throws ProtocolException {
        assertCluster(""
                + "84"                 // kind MESSAGE
                + "03000000"           // ref 3
                + "00"                 // flags: broadcast
                + "efcdab8967452301"   // origin 0123::4567::89AB::CDEF
                + "4d3c2b1a"           // publisher session 0x1A2B3C4D
                + "0100000000000000"   // seq 1
                + "6869",              // payload "hi"
                new ClusterMessage.Message(3, false, ORIGIN, 0x1A2B3C4D, 1, bytes("hi")));
    }

    @Test
    void balancedMessageFromTheNodesApiWithTheLargestSeq() throws ProtocolException {
        assertCluster(""
                + "84"                 // kind MESSAGE
                + "ffffffff"           // ref 0xFFFFFFFF
                + "01"                 // flags BALANCED
                + "1032547698badcfe"   // origin FEDC::BA98::7654::3210
                + "00000000"           // publisher 0: the origin node's own API
                + "ffffffffffffffff",  // seq 2^64-1; no payload
                new ClusterMessage.Message(-1, true, NodeAddress.parse("FEDC::BA98::7654::3210"), ClusterMessage.PUBLISHER_NODE,
                        -1L, bytes("")));
    }

    @Test
    void gap() throws ProtocolException {
        assertCluster(""
                + "85"                 // kind GAP
                + "03000000"           // ref 3
                + "e803000000000000",  // missed 1000
                new ClusterMessage.Gap(3, 1000));
    }

    @Test
    void directionOfEachKind() {
        assertTrue(new ClusterMessage.Join(1, "a").fromClient());
        assertTrue(new ClusterMessage.Leave(1, "a").fromClient());
        assertTrue(new ClusterMessage.Publish("a", bytes("")).fromClient());
        assertTrue(new ClusterMessage.Send("a", null, bytes("")).fromClient());
        assertFalse(new ClusterMessage.Joined(1, 1, 1).fromClient());
        assertFalse(new ClusterMessage.Left(1, 1).fromClient());
        assertFalse(new ClusterMessage.Refused(1, 1, "").fromClient());
        assertFalse(new ClusterMessage.Message(1, false, ORIGIN, 1, 1, bytes("")).fromClient());
        assertFalse(new ClusterMessage.Gap(1, 1).fromClient());
    }

    // ---- the hot path: one copy in, no copy out ----

    @Test
    void writeMessagePutsHeaderAndPayloadAtAnOffset() {
        byte[] payload = "xxhiyy".getBytes(StandardCharsets.UTF_8);
        byte[] dst = new byte[3 + ClusterCodec.MESSAGE_HEADER_SIZE + 2 + 2];
        int end = ClusterCodec.writeMessage(dst, 3, 3, false, ORIGIN.value(), 0x1A2B3C4D, 1, payload, 2, 2);
        assertEquals(3 + ClusterCodec.MESSAGE_HEADER_SIZE + 2, end);
        Hex.assertBytes(""
                + "000000"             // untouched
                + "84 03000000 00 efcdab8967452301 4d3c2b1a 0100000000000000 6869"
                + "0000",              // untouched
                dst, "writeMessage(dst, 3, ...)");
    }

    @Test
    void encodeMessageFromABufferLeavesItsPosition() {
        ByteBuffer payload = ByteBuffer.wrap("xxhiyy".getBytes(StandardCharsets.UTF_8), 2, 2);
        byte[] out = ClusterCodec.encodeMessage(3, true, ORIGIN.value(), 5, 9, payload);
        Hex.assertBytes("84 03000000 01 efcdab8967452301 05000000 0900000000000000 6869", out, "encodeMessage(ByteBuffer)");
        assertEquals(2, payload.position());
        assertEquals(2, payload.remaining());
        assertArrayEquals(out, ClusterCodec.encodeMessage(3, true, ORIGIN.value(), 5, 9, "hi".getBytes(StandardCharsets.UTF_8), 0, 2));
    }

    @Test
    void writeMessageRefusesAnArrayTooSmall() {
        byte[] dst = new byte[ClusterCodec.MESSAGE_HEADER_SIZE + 1];
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> ClusterCodec.writeMessage(dst, 1, 1, false, 0, 0, 0, new byte[1], 0, 1));
        assertEquals("MESSAGE of 27 bytes at 1 does not fit an array of 27", e.getMessage());
        assertEquals(0, dst[1], "nothing written");
    }

    @Test
    void decodedPayloadIsASliceOfTheReceivedBytes() throws ProtocolException {
        byte[] frame = Hex.decode("ffff 84 03000000 00 efcdab8967452301 4d3c2b1a 0100000000000000 6869 eeee");
        ByteBuffer received = ByteBuffer.wrap(frame, 2, frame.length - 4);
        ClusterMessage.Message m = (ClusterMessage.Message) ClusterCodec.decode(received);
        assertEquals(2, received.position(), "decode does not move the position");
        ByteBuffer payload = m.payload();
        assertEquals(2, payload.remaining());
        assertSame(frame, payload.array(), "no copy");
        assertEquals(2 + ClusterCodec.MESSAGE_HEADER_SIZE, payload.arrayOffset() + payload.position());
        assertEquals(bytes("hi"), payload);
    }

    @Test
    void namesThatShareACacheSlotDecodeToThemselves() throws ProtocolException {
        // Same length, first and last byte: the same slot of the name cache, different names.
        String[] names = {"a1z", "a2z", "a3z", "a1z", "aéz".substring(0, 3), "a2z"};
        for (int round = 0; round < 3; round++) {
            for (String name : names) {
                ClusterMessage.Join join = new ClusterMessage.Join(round, name);
                assertEquals(join, ClusterCodec.decode(ClusterCodec.encode(join)));
            }
        }
        // An invalid name is refused every time, never served from the cache.
        for (int i = 0; i < 3; i++) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> ClusterCodec.decode(Hex.decode("01 01000000 03 61ff7a")));
            assertEquals("JOIN name is not valid UTF-8", e.getMessage());
        }
    }

    // ---- limits ----

    @Test
    void nameOf255BytesIsTheLongest() throws ProtocolException {
        String longest = "n".repeat(ClusterCodec.MAX_NAME_BYTES);
        byte[] join = ClusterCodec.encode(new ClusterMessage.Join(1, longest));
        assertEquals(6 + 255, join.length);
        assertEquals((byte) 0xFF, join[5], "name_len 255");
        assertEquals(new ClusterMessage.Join(1, longest), ClusterCodec.decode(join));
        String multibyte = "é".repeat(127) + "n"; // 254 + 1 bytes
        assertEquals(new ClusterMessage.Publish(multibyte, bytes("")),
                ClusterCodec.decode(ClusterCodec.encode(new ClusterMessage.Publish(multibyte, bytes("")))));
    }

    @Test
    void aNameOf256BytesCannotBeEncoded() {
        for (String name : new String[] {"n".repeat(256), "é".repeat(128), "n".repeat(100_000)}) {
            int bytes = name.getBytes(StandardCharsets.UTF_8).length;
            String limit = "cluster name is " + bytes + " bytes of UTF-8, must be 1..255";
            assertEquals(limit, assertThrows(IllegalArgumentException.class,
                    () -> ClusterCodec.encode(new ClusterMessage.Join(1, name))).getMessage());
            assertEquals(limit, assertThrows(IllegalArgumentException.class,
                    () -> ClusterCodec.encode(new ClusterMessage.Leave(1, name))).getMessage());
            assertEquals(limit, assertThrows(IllegalArgumentException.class,
                    () -> ClusterCodec.encode(new ClusterMessage.Publish(name, bytes("")))).getMessage());
            assertEquals(limit, assertThrows(IllegalArgumentException.class,
                    () -> ClusterCodec.encode(new ClusterMessage.Send(name, null, bytes("")))).getMessage());
            assertEquals(limit, assertThrows(IllegalArgumentException.class, () -> ClusterCodec.nameBytes(name)).getMessage());
        }
        assertEquals("cluster name is 0 bytes of UTF-8, must be 1..255",
                assertThrows(IllegalArgumentException.class, () -> ClusterCodec.nameBytes("")).getMessage());
    }

    @Test
    void keyOf255BytesIsTheLongest() throws ProtocolException {
        byte[] key = new byte[ClusterCodec.MAX_KEY_BYTES];
        key[254] = 7;
        ClusterMessage.Send send = new ClusterMessage.Send("a", key, bytes("p"));
        assertEquals(send, ClusterCodec.decode(ClusterCodec.encode(send)));
        assertEquals("SEND key is 256 bytes, at most 255", assertThrows(IllegalArgumentException.class,
                () -> ClusterCodec.encode(new ClusterMessage.Send("a", new byte[256], bytes("")))).getMessage());
    }

    @Test
    void refusedReasonIsCutAt512BytesAtACharacterBoundary() throws ProtocolException {
        byte[] bytes = ClusterCodec.encode(new ClusterMessage.Refused(1, 0x2B, "a".repeat(511) + "€"));
        assertEquals(ClusterCodec.REFUSED_MIN_SIZE + 511, bytes.length);
        assertEquals(new ClusterMessage.Refused(1, 0x2B, "a".repeat(511)), ClusterCodec.decode(bytes));
        String longest = "b".repeat(ClusterCodec.MAX_REASON_BYTES);
        assertEquals(new ClusterMessage.Refused(1, 0x2B, longest),
                ClusterCodec.decode(ClusterCodec.encode(new ClusterMessage.Refused(1, 0x2B, longest))));
    }

    @Test
    void encoderRefusesValuesTheWireCannotCarry() {
        assertEquals("members is a u32: 4294967296", assertThrows(IllegalArgumentException.class,
                () -> ClusterCodec.encode(new ClusterMessage.Joined(1, 1, 0x1_0000_0000L))).getMessage());
        assertEquals("members is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> ClusterCodec.encode(new ClusterMessage.Joined(1, 1, -1))).getMessage());
        assertEquals("code is a u16: 65536", assertThrows(IllegalArgumentException.class,
                () -> ClusterCodec.encode(new ClusterMessage.Refused(1, 0x10000, ""))).getMessage());
    }

    static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Encodes to exactly {@code hex}, decodes back to an equal message, at position 0 and at an offset. */
    private static void assertCluster(String hex, ClusterMessage message) throws ProtocolException {
        Hex.assertBytes(hex, ClusterCodec.encode(message), "encode " + message);
        assertEquals(message, ClusterCodec.decode(Hex.decode(hex)));
        byte[] padded = Hex.decode("ab" + hex + "cd");
        ByteBuffer atOffset = ByteBuffer.wrap(padded, 1, padded.length - 2);
        assertEquals(message, ClusterCodec.decode(atOffset));
        assertEquals(1, atOffset.position());
        // a direct buffer, and a read-only one (no array): the same message, whatever the buffer's byte order
        ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded).position(1).limit(padded.length - 1);
        assertEquals(message, ClusterCodec.decode(direct));
        assertEquals(message, ClusterCodec.decode(atOffset.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN)));
    }
}
