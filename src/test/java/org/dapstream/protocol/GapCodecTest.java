package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The messages of a resumption whose owner was lost (PROTOCOL.md section 33.7): LINK's
 * SESSION_CLAIM and CLAIM_GRANTED, CONTROL's SESSION_GAP. Golden bytes written out by hand
 * from the layouts, and every other length refused with the message naming what is wrong.
 */
class GapCodecTest {
    private static final NodeAddress LOST = NodeAddress.parse("0123::4567::89AB::CDEF");

    private static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    @Test
    void sessionClaimGoldenBytes() throws ProtocolException {
        // kind 09 | request 7 | owner 0123::4567::89AB::CDEF | session 0x1A2B3C4D | ticket 0xFFFFFFFE
        byte[] golden = hex("09 07000000 efcdab8967452301 4d3c2b1a feffffff");
        LinkMessage.SessionClaim claim = new LinkMessage.SessionClaim(7, LOST, 0x1A2B3C4D, 0xFFFF_FFFEL);
        assertArrayEquals(golden, LinkCodec.encode(claim));
        assertEquals(claim, LinkCodec.decode(golden));
        assertEquals(LinkCodec.SESSION_CLAIM_SIZE, golden.length);
    }

    @Test
    void claimGrantedGoldenBytes() throws ProtocolException {
        byte[] golden = hex("0a 07000000");
        assertArrayEquals(golden, LinkCodec.encode(new LinkMessage.ClaimGranted(7)));
        assertEquals(new LinkMessage.ClaimGranted(7), LinkCodec.decode(golden));
    }

    @Test
    void sessionGapGoldenBytes() throws ProtocolException {
        byte[] golden = hex("18 efcdab8967452301");
        assertArrayEquals(golden, ControlCodec.encode(new ControlMessage.SessionGap(LOST)));
        assertEquals(new ControlMessage.SessionGap(LOST), ControlCodec.decode(ByteBuffer.wrap(golden)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "SESSION_CLAIM cut in its ticket | 09 07000000 efcdab8967452301 4d3c2b1a feff | SESSION_CLAIM is truncated: ticket needs 4 bytes, 2 remain",
        "SESSION_CLAIM with a trailing byte | 09 07000000 efcdab8967452301 4d3c2b1a feffffff 00 | SESSION_CLAIM has 1 trailing bytes after its last field",
        "CLAIM_GRANTED cut in its request | 0a 0700 | CLAIM_GRANTED is truncated: request needs 4 bytes, 2 remain",
        "CLAIM_GRANTED with a trailing byte | 0a 07000000 00 | CLAIM_GRANTED has 1 trailing bytes after its last field",
    })
    void malformedLinkMessagesAreRefused(String what, String bytes, String message) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> LinkCodec.decode(hex(bytes)), what);
        assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code());
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest(name = "SESSION_GAP of {0} bytes")
    @CsvSource({"1", "8", "10"})
    void sessionGapOfAnyOtherLengthIsRefused(int length) {
        byte[] bytes = new byte[length];
        bytes[0] = 0x18;
        ProtocolException e = assertThrows(ProtocolException.class, () -> ControlCodec.decode(ByteBuffer.wrap(bytes)));
        assertEquals(ErrorCode.MALFORMED_CONTROL, e.code());
        assertEquals("SESSION_GAP is " + length + " bytes, must be 9", e.getMessage());
    }
}
