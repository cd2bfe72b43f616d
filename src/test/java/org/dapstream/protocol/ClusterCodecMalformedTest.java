package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.stream.Stream;

/**
 * CLUSTER and LINK payloads a peer may send that the codecs must refuse, each with
 * MALFORMED_CLUSTER_MESSAGE and the words that say what was wrong. Hex inputs may contain
 * spaces (kind | fields | extra).
 */
class ClusterCodecMalformedTest {
    private static final String NAME_A = "01 61";
    private static final String ORIGIN = "efcdab8967452301";

    static Stream<Arguments> clusterMessages() {
        return Stream.of(
                row("empty payload", "", "empty CLUSTER message"),
                row("kind 0x00", "00 01000000 01 61", "unknown CLUSTER message kind 0x00"),
                row("kind 0x05 (after SEND)", "05 01000000 01 61", "unknown CLUSTER message kind 0x05"),
                row("kind 0x80", "80", "unknown CLUSTER message kind 0x80"),
                row("kind 0x86 (after GAP)", "86 03000000 0000000000000000", "unknown CLUSTER message kind 0x86"),
                row("kind 0xff", "ff", "unknown CLUSTER message kind 0xff"),
                row("JOIN kind only", "01", "JOIN is truncated: request needs 4 bytes, 0 remain"),
                row("JOIN half a request", "01 0100", "JOIN is truncated: request needs 4 bytes, 2 remain"),
                row("JOIN without name_len", "01 01000000", "JOIN is truncated: name_len needs 1 bytes, 0 remain"),
                row("JOIN name_len 0", "01 01000000 00", "JOIN name_len is 0; a cluster name is 1..255 bytes"),
                row("JOIN name_len beyond the payload", "01 01000000 05 616263", "JOIN name is 5 bytes, but only 3 follow"),
                row("JOIN name_len 255, 1 byte follows (a 10 MB name cannot be said)", "01 01000000 ff 61",
                        "JOIN name is 255 bytes, but only 1 follow"),
                row("JOIN name, lone continuation byte", "01 01000000 02 6180", "JOIN name is not valid UTF-8"),
                row("JOIN name, overlong '/'", "01 01000000 02 c0af", "JOIN name is not valid UTF-8"),
                row("JOIN name, encoded surrogate", "01 01000000 03 eda080", "JOIN name is not valid UTF-8"),
                row("JOIN name, byte 0xff", "01 01000000 01 ff", "JOIN name is not valid UTF-8"),
                row("JOIN name, truncated 3-byte sequence", "01 01000000 02 e282", "JOIN name is not valid UTF-8"),
                row("JOIN one byte long", "01 01000000 01 61 00", "JOIN has 1 trailing bytes after its last field"),
                row("LEAVE without name", "02 01000000", "LEAVE is truncated: name_len needs 1 bytes, 0 remain"),
                row("LEAVE name_len 0", "02 01000000 00", "LEAVE name_len is 0"),
                row("LEAVE two bytes long", "02 01000000 01 61 0000", "LEAVE has 2 trailing bytes after its last field"),
                row("PUBLISH kind only", "03", "PUBLISH is truncated: name_len needs 1 bytes, 0 remain"),
                row("PUBLISH name_len 0", "03 00 6869", "PUBLISH name_len is 0"),
                row("PUBLISH name beyond the payload", "03 03 6162", "PUBLISH name is 3 bytes, but only 2 follow"),
                row("PUBLISH name, invalid UTF-8", "03 01 80 6869", "PUBLISH name is not valid UTF-8"),
                row("SEND without key_len", "04 " + NAME_A, "SEND is truncated: key_len needs 1 bytes, 0 remain"),
                row("SEND key beyond the payload", "04 " + NAME_A + " 03 6b31", "SEND key is 3 bytes, but only 2 follow"),
                row("SEND name_len 0", "04 00 00", "SEND name_len is 0"),
                row("JOINED one byte short", "81 01000000 03000000 1e0000", "JOINED is truncated: members needs 4 bytes, 3 remain"),
                row("JOINED one byte long", "81 01000000 03000000 1e000000 00", "JOINED has 1 trailing bytes after its last field"),
                row("LEFT one byte short", "82 01000000 030000", "LEFT is truncated: ref needs 4 bytes, 3 remain"),
                row("LEFT one byte long", "82 01000000 03000000 00", "LEFT has 1 trailing bytes after its last field"),
                row("REFUSED without reason_len", "83 01000000 2b00", "REFUSED is truncated: reason_len needs 2 bytes, 0 remain"),
                row("REFUSED reason beyond the payload", "83 01000000 2b00 0500 6162", "REFUSED reason is 5 bytes, but only 2 follow"),
                row("REFUSED reason_len 513", "83 01000000 2b00 0102 " + "61".repeat(513), "REFUSED reason_len is 513, limit 512"),
                row("REFUSED reason, invalid UTF-8", "83 01000000 2b00 0100 80", "REFUSED reason is not valid UTF-8"),
                row("REFUSED trailing bytes", "83 01000000 2b00 0100 61 62", "REFUSED has 1 trailing bytes after its last field"),
                row("MESSAGE kind only", "84", "MESSAGE is truncated: ref needs 4 bytes, 0 remain"),
                row("MESSAGE without flags", "84 03000000", "MESSAGE is truncated: flags needs 1 bytes, 0 remain"),
                row("MESSAGE flag 0x02", "84 03000000 02 " + ORIGIN + " 01000000 0100000000000000",
                        "MESSAGE flags 0x02; only 0x01 (balanced) is defined"),
                row("MESSAGE flags 0x81", "84 03000000 81 " + ORIGIN + " 01000000 0100000000000000",
                        "MESSAGE flags 0x81; only 0x01 (balanced) is defined"),
                row("MESSAGE origin cut short", "84 03000000 00 efcdab89", "MESSAGE is truncated: origin needs 8 bytes, 4 remain"),
                row("MESSAGE without publisher", "84 03000000 00 " + ORIGIN, "MESSAGE is truncated: publisher needs 4 bytes, 0 remain"),
                row("MESSAGE seq one byte short", "84 03000000 00 " + ORIGIN + " 01000000 01000000000000",
                        "MESSAGE is truncated: seq needs 8 bytes, 7 remain"),
                row("GAP one byte short", "85 03000000 e8030000000000", "GAP is truncated: missed needs 8 bytes, 7 remain"),
                row("GAP one byte long", "85 03000000 e803000000000000 00", "GAP has 1 trailing bytes after its last field"));
    }

    static Stream<Arguments> linkMessages() {
        return Stream.of(
                row("empty payload", "", "empty LINK message"),
                row("kind 0x00", "00", "unknown LINK message kind 0x00"),
                row("kind 0x0b (after CLAIM_GRANTED)", "0b " + NAME_A, "unknown LINK message kind 0x0b"),
                row("kind 0x84 (a CLUSTER MESSAGE on a link)", "84 03000000 00", "unknown LINK message kind 0x84"),
                row("NODE kind only", "01", "NODE is truncated: state needs 1 bytes, 0 remain"),
                row("NODE state 2", "01 02 00000000 00000000 00", "NODE state 2; 0 (ready) and 1 (draining) are defined"),
                row("NODE state 0xff", "01 ff 00000000 00000000 00", "NODE state 255; 0 (ready) and 1 (draining) are defined"),
                row("NODE streams cut short", "01 00 00000000 0000", "NODE is truncated: streams needs 4 bytes, 2 remain"),
                row("NODE without endpoint_len", "01 00 00000000 00000000", "NODE is truncated: endpoint_len needs 1 bytes, 0 remain"),
                row("NODE endpoint beyond the payload", "01 00 00000000 00000000 04 683a31", "NODE endpoint is 4 bytes, but only 3 follow"),
                row("NODE endpoint without port", "01 00 00000000 00000000 04 686f7374", "NODE endpoint 'host' is not host:port"),
                row("NODE endpoint port 0", "01 00 00000000 00000000 03 683a30", "NODE endpoint 'h:0' is not host:port"),
                row("NODE endpoint, invalid UTF-8", "01 00 00000000 00000000 03 ff3a31", "NODE endpoint is not valid UTF-8"),
                row("NODE one byte long", "01 00 00000000 00000000 00 00", "NODE has 1 trailing bytes after its last field"),
                row("MEMBER_ADD name_len 0", "02 00 01000000 " + ORIGIN, "MEMBER_ADD name_len is 0"),
                row("MEMBER_ADD name, invalid UTF-8", "02 01 c3 01000000 " + ORIGIN, "MEMBER_ADD name is not valid UTF-8"),
                row("MEMBER_ADD node cut short", "02 " + NAME_A + " 01000000 efcdab", "MEMBER_ADD is truncated: node needs 8 bytes, 3 remain"),
                row("MEMBER_ADD one byte long", "02 " + NAME_A + " 01000000 " + ORIGIN + " 00",
                        "MEMBER_ADD has 1 trailing bytes after its last field"),
                row("MEMBER_REMOVE without session", "03 " + NAME_A, "MEMBER_REMOVE is truncated: session needs 4 bytes, 0 remain"),
                row("MEMBER_REMOVE one byte long", "03 " + NAME_A + " 01000000 " + ORIGIN + " 00",
                        "MEMBER_REMOVE has 1 trailing bytes after its last field"),
                row("FORWARD kind only", "04", "FORWARD is truncated: name_len needs 1 bytes, 0 remain"),
                row("FORWARD name_len 0", "04 00 " + ORIGIN + " 01000000 0100000000000000", "FORWARD name_len is 0"),
                row("FORWARD name_len 200, 3 bytes follow", "04 c8 616263", "FORWARD name is 200 bytes, but only 3 follow"),
                row("FORWARD without seq", "04 " + NAME_A + " " + ORIGIN + " 01000000", "FORWARD is truncated: seq needs 8 bytes, 0 remain"),
                row("DELIVER without origin", "05 " + NAME_A + " 01000000", "DELIVER is truncated: origin needs 8 bytes, 0 remain"),
                row("DELIVER name, invalid UTF-8", "05 02 e282 01000000", "DELIVER name is not valid UTF-8"),
                row("DELIVER seq one byte short", "05 " + NAME_A + " 01000000 " + ORIGIN + " 01000000 01000000000000",
                        "DELIVER is truncated: seq needs 8 bytes, 7 remain"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusterMessages")
    void clusterMessageIsRefused(String name, String hex, String message) {
        assertRefused(hex, message, ClusterCodec::decode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linkMessages")
    void linkMessageIsRefused(String name, String hex, String message) {
        assertRefused(hex, message, LinkCodec::decode);
    }

    @FunctionalInterface
    interface Decoder {
        Object decode(ByteBuffer payload) throws ProtocolException;
    }

    private static void assertRefused(String hex, String message, Decoder decoder) {
        byte[] bytes = Hex.decode(hex);
        ByteBuffer payload = ByteBuffer.wrap(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.decode(payload),
                () -> "accepted\n" + Hex.dump(bytes));
        assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.code(), () -> e + "\n" + Hex.dump(bytes));
        assertTrue(e.getMessage().contains(message), () -> "message '" + e.getMessage() + "' does not say '" + message + "'");
        assertEquals(0, payload.position(), "a refused payload is left as it was");
    }

    private static Arguments row(String name, String hex, String message) {
        return Arguments.of(name, hex, message);
    }
}
