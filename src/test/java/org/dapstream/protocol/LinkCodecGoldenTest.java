package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Exact bytes of every LINK channel message, both ways; every integer is little-endian. */
class LinkCodecGoldenTest {
    private static final NodeAddress ORIGIN = NodeAddress.parse("0123::4567::89AB::CDEF");
    private static final byte[] PRICES = ClusterCodec.nameBytes("prices");

    @Test
    void node() throws ProtocolException {
        assertLink(""
                + "01"                 // kind NODE
                + "00"                 // state READY
                + "0a000000"           // sessions 10
                + "14000000"           // streams 20
                + "0d"                 // endpoint_len 13
                + "31302e302e302e373a38303739", // endpoint "10.0.0.7:8079"
                new LinkMessage.Node(LinkMessage.NodeState.READY, 10, 20, "10.0.0.7:8079"));
    }

    @Test
    void drainingNodeWithoutEndpointAndTheLargestCounts() throws ProtocolException {
        assertLink(""
                + "01"                 // kind NODE
                + "01"                 // state DRAINING
                + "ffffffff"           // sessions 4294967295 (u32, not -1)
                + "00000000"           // streams 0
                + "00",                // endpoint_len 0: none offered
                new LinkMessage.Node(LinkMessage.NodeState.DRAINING, 0xFFFF_FFFFL, 0, null));
        assertEquals(LinkMessage.NodeState.DRAINING, LinkMessage.NodeState.fromCode(1));
        assertNull(LinkMessage.NodeState.fromCode(2));
    }

    @Test
    void memberAdd() throws ProtocolException {
        assertLink(""
                + "02"                 // kind MEMBER_ADD
                + "06"                 // name_len 6
                + "707269636573"       // name "prices"
                + "4d3c2b1a"           // session 0x1A2B3C4D
                + "efcdab8967452301",  // node 0123::4567::89AB::CDEF
                new LinkMessage.MemberAdd("prices", 0x1A2B3C4D, ORIGIN));
    }

    @Test
    void memberRemove() throws ProtocolException {
        assertLink(""
                + "03"                 // kind MEMBER_REMOVE
                + "01"                 // name_len 1
                + "61"                 // name "a"
                + "ffffffff"           // session 0xFFFFFFFF
                + "1032547698badcfe",  // node FEDC::BA98::7654::3210
                new LinkMessage.MemberRemove("a", -1, NodeAddress.parse("FEDC::BA98::7654::3210")));
    }

    @Test
    void forward() throws ProtocolException {
        assertLink(""
                + "04"                 // kind FORWARD
                + "06"                 // name_len 6
                + "707269636573"       // name "prices"
                + "efcdab8967452301"   // origin 0123::4567::89AB::CDEF
                + "4d3c2b1a"           // publisher 0x1A2B3C4D
                + "0700000000000000"   // seq 7
                + "6869",              // payload "hi"
                new LinkMessage.Forward("prices", ORIGIN, 0x1A2B3C4D, 7, bytes("hi")));
    }

    @Test
    void forwardOfAnEmptyPayloadFromTheNodesApi() throws ProtocolException {
        assertLink(""
                + "04"                 // kind FORWARD
                + "01"                 // name_len 1
                + "61"                 // name "a"
                + "efcdab8967452301"   // origin
                + "00000000"           // publisher 0: the origin node's API
                + "ffffffffffffffff",  // seq 2^64-1; no payload
                new LinkMessage.Forward("a", ORIGIN, 0, -1L, bytes("")));
    }

    @Test
    void deliver() throws ProtocolException {
        assertLink(""
                + "05"                 // kind DELIVER
                + "06"                 // name_len 6
                + "707269636573"       // name "prices"
                + "09000000"           // session 9 (the receiver's member)
                + "efcdab8967452301"   // origin
                + "4d3c2b1a"           // publisher 0x1A2B3C4D
                + "0800000000000000"   // seq 8
                + "6869",              // payload "hi"
                new LinkMessage.Deliver("prices", 9, ORIGIN, 0x1A2B3C4D, 8, bytes("hi")));
    }

    // ---- the hot path ----

    @Test
    void writeForwardAndDeliverPutHeaderAndPayloadAtAnOffset() {
        byte[] payload = "xhiy".getBytes(StandardCharsets.UTF_8);
        byte[] dst = new byte[2 + LinkCodec.FORWARD_FIXED_SIZE + 6 + 2 + 1];
        int end = LinkCodec.writeForward(dst, 2, PRICES, ORIGIN.value(), 0x1A2B3C4D, 7, payload, 1, 2);
        assertEquals(dst.length - 1, end);
        Hex.assertBytes("0000 04 06 707269636573 efcdab8967452301 4d3c2b1a 0700000000000000 6869 00", dst, "writeForward");

        byte[] deliver = new byte[LinkCodec.DELIVER_FIXED_SIZE + 6 + 2];
        assertEquals(deliver.length, LinkCodec.writeDeliver(deliver, 0, PRICES, 9, ORIGIN.value(), 0x1A2B3C4D, 8,
                ByteBuffer.wrap(payload, 1, 2)));
        Hex.assertBytes("05 06 707269636573 09000000 efcdab8967452301 4d3c2b1a 0800000000000000 6869", deliver, "writeDeliver");
    }

    @Test
    void exactSizeEncodersAgreeWithTheRecordEncoder() {
        byte[] payload = "hi".getBytes(StandardCharsets.UTF_8);
        byte[] viaRecord = LinkCodec.encode(new LinkMessage.Forward("prices", ORIGIN, 3, 4, ByteBuffer.wrap(payload)));
        assertArrayEquals(viaRecord, LinkCodec.encodeForward(PRICES, ORIGIN.value(), 3, 4, payload, 0, 2));
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        assertArrayEquals(viaRecord, LinkCodec.encodeForward(PRICES, ORIGIN.value(), 3, 4, buffer));
        assertEquals(0, buffer.position(), "the payload buffer does not move");
        byte[] deliver = LinkCodec.encode(new LinkMessage.Deliver("prices", 5, ORIGIN, 3, 4, ByteBuffer.wrap(payload)));
        assertArrayEquals(deliver, LinkCodec.encodeDeliver(PRICES, 5, ORIGIN.value(), 3, 4, payload, 0, 2));
        assertArrayEquals(deliver, LinkCodec.encodeDeliver(PRICES, 5, ORIGIN.value(), 3, 4, ByteBuffer.wrap(payload)));
    }

    @Test
    void writersRefuseABadNameOrTooSmallAnArray() {
        assertEquals("cluster name is 256 bytes of UTF-8, must be 1..255", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encodeForward(new byte[256], 0, 0, 0, new byte[0], 0, 0)).getMessage());
        assertEquals("cluster name is 0 bytes of UTF-8, must be 1..255", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encodeDeliver(new byte[0], 0, 0, 0, 0, new byte[0], 0, 0)).getMessage());
        assertEquals("FORWARD of 30 bytes at 0 does not fit an array of 29", assertThrows(IndexOutOfBoundsException.class,
                () -> LinkCodec.writeForward(new byte[29], 0, PRICES, 0, 0, 0, new byte[2], 0, 2)).getMessage());
    }

    @Test
    void decodedPayloadIsASliceOfTheReceivedBytes() throws ProtocolException {
        byte[] frame = Hex.decode("04 06 707269636573 efcdab8967452301 4d3c2b1a 0700000000000000 6869");
        LinkMessage.Forward m = (LinkMessage.Forward) LinkCodec.decode(frame);
        assertSame(frame, m.payload().array(), "no copy");
        assertEquals(frame.length - 2, m.payload().arrayOffset() + m.payload().position());
    }

    // ---- limits ----

    @Test
    void namesOfMembersAndForwardsAreAtMost255Bytes() throws ProtocolException {
        String longest = "n".repeat(255);
        LinkMessage.MemberAdd add = new LinkMessage.MemberAdd(longest, 1, ORIGIN);
        assertEquals(add, LinkCodec.decode(LinkCodec.encode(add)));
        LinkMessage.Forward forward = new LinkMessage.Forward(longest, ORIGIN, 1, 1, bytes("p"));
        assertEquals(forward, LinkCodec.decode(LinkCodec.encode(forward)));
        String tooLong = "n".repeat(256);
        for (LinkMessage m : new LinkMessage[] {new LinkMessage.MemberAdd(tooLong, 1, ORIGIN), new LinkMessage.MemberRemove(tooLong, 1, ORIGIN),
                new LinkMessage.Forward(tooLong, ORIGIN, 1, 1, bytes("")), new LinkMessage.Deliver(tooLong, 1, ORIGIN, 1, 1, bytes(""))}) {
            assertEquals("cluster name is 256 bytes of UTF-8, must be 1..255",
                    assertThrows(IllegalArgumentException.class, () -> LinkCodec.encode(m)).getMessage());
        }
    }

    @Test
    void nodeEncoderRefusesWhatTheWireCannotCarry() {
        assertEquals("endpoint must be host:port, got 'nohost'", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.Node(LinkMessage.NodeState.READY, 0, 0, "nohost"))).getMessage());
        String longHost = "h".repeat(250) + ":8079";
        assertEquals(new LinkMessage.Node(LinkMessage.NodeState.READY, 0, 0, longHost),
                decodeUnchecked(LinkCodec.encode(new LinkMessage.Node(LinkMessage.NodeState.READY, 0, 0, longHost))));
        assertEquals("endpoint is 256 bytes, at most 255", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.Node(LinkMessage.NodeState.READY, 0, 0, "h" + longHost))).getMessage());
        assertEquals("sessions is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.Node(LinkMessage.NodeState.READY, -1, 0, ""))).getMessage());
        assertEquals("streams is a u32: 4294967296", assertThrows(IllegalArgumentException.class,
                () -> LinkCodec.encode(new LinkMessage.Node(LinkMessage.NodeState.READY, 0, 0x1_0000_0000L, ""))).getMessage());
    }

    private static LinkMessage decodeUnchecked(byte[] bytes) {
        try {
            return LinkCodec.decode(bytes);
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertLink(String hex, LinkMessage message) throws ProtocolException {
        Hex.assertBytes(hex, LinkCodec.encode(message), "encode " + message);
        assertEquals(message, LinkCodec.decode(Hex.decode(hex)));
        byte[] padded = Hex.decode("ab" + hex + "cd");
        ByteBuffer atOffset = ByteBuffer.wrap(padded, 1, padded.length - 2);
        assertEquals(message, LinkCodec.decode(atOffset));
        assertEquals(1, atOffset.position());
        // a direct buffer, and a read-only one (no array): the same message, whatever the buffer's byte order
        ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded).position(1).limit(padded.length - 1);
        assertEquals(message, LinkCodec.decode(direct));
        assertEquals(message, LinkCodec.decode(atOffset.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN)));
    }
}
