package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.stream.Stream;

/**
 * Payloads a peer may send that the codecs must refuse, each with the exact error code and the
 * words that say what was wrong. Hex inputs may contain spaces (kind | fields | extra).
 */
class ControlCodecMalformedTest {

    private static final ErrorCode CONTROL = ErrorCode.MALFORMED_CONTROL;
    private static final ErrorCode FRAME = ErrorCode.MALFORMED_FRAME;
    private static final String REASON_512 = "61".repeat(512);
    private static final String REASON_513 = "61".repeat(513);

    static Stream<Arguments> controlMessages() {
        return Stream.of(
                row("empty payload", "", CONTROL, "empty CONTROL payload on ch 0"),
                row("kind 0x00", "00 0100", CONTROL, "unknown CONTROL message kind 0x00"),
                row("kind 0x06 (handshake) outside the handshake", "06 0100", CONTROL, "handshake message kind 0x06 outside the handshake"),
                row("kind 0x0E", "0E 0100", CONTROL, "unknown CONTROL message kind 0x0e"),
                row("kind 0xff", "ff", CONTROL, "unknown CONTROL message kind 0xff"),
                row("HELLO kind only", "01", CONTROL, "HELLO is 1 bytes, must be exactly 13"),
                row("HELLO one byte short", "01 0100 0000 00000000000000", CONTROL, "HELLO is 12 bytes, must be exactly 13"),
                row("HELLO one byte long", "01 0100 0000 0000000000000000 00", CONTROL, "HELLO is 14 bytes, must be exactly 13"),
                row("WELCOME one byte short", "02 0100 0000 0000000000000000 00000000 000000", CONTROL,
                        "WELCOME is 20 bytes, must be exactly 21"),
                row("WELCOME one byte long", "02 0100 0000 0000000000000000 00000000 00000000 00", CONTROL,
                        "WELCOME is 22 bytes, must be exactly 21"),
                row("OPEN_CHANNEL one byte short", "03 0100 01", CONTROL, "OPEN_CHANNEL is 4 bytes, must be exactly 5"),
                row("OPEN_CHANNEL one byte long", "03 0100 01 00 00", CONTROL, "OPEN_CHANNEL is 6 bytes, must be exactly 5"),
                row("OPEN_ACK one byte short", "04 01", CONTROL, "OPEN_ACK is 2 bytes, must be exactly 3"),
                row("OPEN_ACK one byte long", "04 0100 00", CONTROL, "OPEN_ACK is 4 bytes, must be exactly 3"),
                row("OPEN_REJECT kind only", "05", CONTROL, "OPEN_REJECT is 1 bytes, must be 5..517"),
                row("OPEN_REJECT one byte short", "05 0100 0b", CONTROL, "OPEN_REJECT is 4 bytes, must be 5..517"),
                row("OPEN_REJECT reason of 513 bytes", "05 0100 0b00 " + REASON_513, CONTROL, "OPEN_REJECT is 518 bytes, must be 5..517"),
                row("OPEN_REJECT reason, lone continuation byte", "05 0100 0b00 61 80", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("OPEN_REJECT reason, truncated 3-byte sequence", "05 0100 0b00 e282", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("OPEN_REJECT reason, overlong '/'", "05 0100 0b00 c0af", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("OPEN_REJECT reason, encoded surrogate", "05 0100 0b00 eda080", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("OPEN_REJECT reason, byte 0xff", "05 0100 0b00 ff", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("OPEN_REJECT reason, beyond U+10FFFF", "05 0100 0b00 f4908080", CONTROL, "OPEN_REJECT reason is not valid UTF-8"),
                row("kind 0x0f (reserved for the handshake)", "0f", CONTROL, "unknown CONTROL message kind 0x0f"),
                row("kind 0x19 (after SESSION_GAP)", "19 0100 0100000000000000", CONTROL, "unknown CONTROL message kind 0x19"),
                row("ACK one byte short", "12 0100 01000000000000", CONTROL, "ACK is 10 bytes, must be exactly 11"),
                row("ACK one byte long", "12 0100 0100000000000000 00", CONTROL, "ACK is 12 bytes, must be exactly 11"),
                row("ACK kind only", "12", CONTROL, "ACK is 1 bytes, must be exactly 11"),
                row("ACK with a u32 count (the WINDOW_UPDATE layout)", "12 0100 01000000", CONTROL, "ACK is 7 bytes, must be exactly 11"),
                row("ACK for ch 0", "12 0000 0100000000000000", CONTROL,
                        "ACK for ch 0; messages are acknowledged on channels 1..65535"),
                row("WINDOW_UPDATE one byte short", "11 0100 010000", CONTROL, "WINDOW_UPDATE is 6 bytes, must be exactly 7"),
                row("WINDOW_UPDATE one byte long", "11 0100 01000000 00", CONTROL, "WINDOW_UPDATE is 8 bytes, must be exactly 7"),
                row("WINDOW_UPDATE kind only", "11", CONTROL, "WINDOW_UPDATE is 1 bytes, must be exactly 7"),
                row("WINDOW_UPDATE increment 0", "11 0100 00000000", CONTROL,
                        "WINDOW_UPDATE increment 0 for channel 1; it must be 1..2147483647"),
                row("WINDOW_UPDATE increment 0 for the stream", "11 0000 00000000", CONTROL,
                        "WINDOW_UPDATE increment 0 for channel 0; it must be 1..2147483647"),
                row("WINDOW_UPDATE increment 2^31", "11 0300 00000080", CONTROL,
                        "WINDOW_UPDATE increment 2147483648 for channel 3; it must be 1..2147483647"),
                row("WINDOW_UPDATE increment 0xFFFFFFFF (u32, not -1)", "11 ffff ffffffff", CONTROL,
                        "WINDOW_UPDATE increment 4294967295 for channel 65535; it must be 1..2147483647"),
                row("GOAWAY kind only", "10", CONTROL, "GOAWAY is 1 bytes, must be at least 6"),
                row("GOAWAY without alt_len", "10 204e0000", CONTROL, "GOAWAY is 5 bytes, must be at least 6"),
                row("GOAWAY alt_len beyond the payload", "10 204e0000 05 31323a31", CONTROL, "GOAWAY alt_len is 5, but only 4 bytes follow"),
                row("GOAWAY alternate without a port", "10 204e0000 04 686f7374", CONTROL, "GOAWAY alternate 'host' is not host:port"),
                row("GOAWAY alternate with port 0", "10 204e0000 03 683a30", CONTROL, "GOAWAY alternate 'h:0' is not host:port"),
                row("GOAWAY alternate with port 65536", "10 204e0000 07 683a3635353336", CONTROL, "GOAWAY alternate 'h:65536' is not host:port"),
                row("GOAWAY alternate with an empty host", "10 204e0000 05 3a38303739", CONTROL, "GOAWAY alternate ':8079' is not host:port"),
                row("GOAWAY alternate, bare IPv6 literal", "10 204e0000 06 3a3a313a3830", CONTROL, "GOAWAY alternate '::1:80' is not host:port"),
                row("GOAWAY alternate, invalid UTF-8", "10 204e0000 04 ff3a3830", CONTROL, "GOAWAY alternate is not valid UTF-8"),
                row("GOAWAY reason, invalid UTF-8", "10 204e0000 00 61 80", CONTROL, "GOAWAY reason is not valid UTF-8"),
                row("GOAWAY reason of 513 bytes", "10 204e0000 00 " + REASON_513, CONTROL, "GOAWAY reason is 513 bytes, limit 512"));
    }

    static Stream<Arguments> closeReasons() {
        return Stream.of(
                row("empty payload", "", FRAME, "CLOSE/ERROR payload is 0 bytes, needs at least 2 for the code"),
                row("half a code", "01", FRAME, "CLOSE/ERROR payload is 1 bytes, needs at least 2 for the code"),
                row("reason, lone continuation byte", "0100 80", FRAME, "CLOSE/ERROR reason is not valid UTF-8"),
                row("reason, truncated 2-byte sequence", "0100 4772c3", FRAME, "CLOSE/ERROR reason is not valid UTF-8"),
                row("reason, overlong NUL", "0100 c080", FRAME, "CLOSE/ERROR reason is not valid UTF-8"),
                row("reason, byte 0xfe", "0100 fe", FRAME, "CLOSE/ERROR reason is not valid UTF-8"),
                row("reason of 513 bytes", "0100 " + REASON_513, FRAME, "CLOSE/ERROR reason is 513 bytes, limit 512"),
                row("reason of 513 bytes of invalid UTF-8", "0100 " + "ff".repeat(513), FRAME, "CLOSE/ERROR reason is 513 bytes, limit 512"));
    }

    static Stream<Arguments> keepAlives() {
        return Stream.of(
                row("empty payload", "", FRAME, "KEEPALIVE payload is 0 bytes, must be 9"),
                row("one byte short", "00 00000000000000", FRAME, "KEEPALIVE payload is 8 bytes, must be 9"),
                row("one byte long", "00 0000000000000000 00", FRAME, "KEEPALIVE payload is 10 bytes, must be 9"),
                row("kind 0x02", "02 0000000000000000", FRAME, "KEEPALIVE kind 0x02 is neither ping (0x00) nor pong (0x01)"),
                row("kind 0xff", "ff 0000000000000000", FRAME, "KEEPALIVE kind 0xff is neither ping (0x00) nor pong (0x01)"),
                row("kind 0x80", "80 0102030405060708", FRAME, "KEEPALIVE kind 0x80 is neither ping (0x00) nor pong (0x01)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("controlMessages")
    void controlMessageIsRefused(String name, String hex, ErrorCode code, String message) {
        assertRefused(hex, code, message, ControlCodec::decode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("closeReasons")
    void closeReasonIsRefused(String name, String hex, ErrorCode code, String message) {
        assertRefused(hex, code, message, CloseReason::decode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keepAlives")
    void keepAliveIsRefused(String name, String hex, ErrorCode code, String message) {
        assertRefused(hex, code, message, KeepAlivePayload::decode);
    }

    /** The boundaries the tables reject from one side are accepted from the other. */
    @Test
    void longestReasonsAreAccepted() throws ProtocolException {
        String text = "a".repeat(512);
        assertEquals(new ControlMessage.OpenReject(1, 0x0B, text),
                ControlCodec.decode(ByteBuffer.wrap(Hex.decode("05 0100 0b00 " + REASON_512))));
        assertEquals(new CloseReason(1, text), CloseReason.decode(ByteBuffer.wrap(Hex.decode("0100 " + REASON_512))));
        assertEquals(new ControlMessage.GoAway(1, "", text), ControlCodec.decode(ByteBuffer.wrap(Hex.decode("10 01000000 00 " + REASON_512))));
    }

    @Test
    void windowUpdateIncrementsAtTheEdgesOfTheRangeAreAccepted() throws ProtocolException {
        assertEquals(new ControlMessage.WindowUpdate(1, 1), ControlCodec.decode(ByteBuffer.wrap(Hex.decode("11 0100 01000000"))));
        assertEquals(new ControlMessage.WindowUpdate(0, FlowWindow.MAX_WINDOW),
                ControlCodec.decode(ByteBuffer.wrap(Hex.decode("11 0000 ffffff7f"))));
    }

    @Test
    void onlyTheBytesFromPositionToLimitAreTheMessage() throws ProtocolException {
        // A valid OPEN_ACK followed by one byte outside the limit: not "one byte long".
        ByteBuffer b = ByteBuffer.wrap(Hex.decode("04 0100 00"));
        b.limit(3);
        assertEquals(new ControlMessage.OpenAck(1), ControlCodec.decode(b));
        // The same bytes with the limit one further: refused.
        b.limit(4);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ControlCodec.decode(b));
        assertEquals(ErrorCode.MALFORMED_CONTROL, e.code());
        // A KEEPALIVE read from position 2 of a longer buffer.
        ByteBuffer k = ByteBuffer.wrap(Hex.decode("ffff 01 0100000000000000 ffff"));
        k.position(2).limit(11);
        assertEquals(new KeepAlivePayload(true, 1), KeepAlivePayload.decode(k));
        assertEquals(2, k.position());
    }

    @FunctionalInterface
    interface Decoder {
        Object decode(ByteBuffer payload) throws ProtocolException;
    }

    private static void assertRefused(String hex, ErrorCode code, String message, Decoder decoder) {
        byte[] bytes = Hex.decode(hex);
        ByteBuffer payload = ByteBuffer.wrap(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.decode(payload),
                () -> "accepted\n" + Hex.dump(bytes));
        assertEquals(code, e.code(), () -> e + "\n" + Hex.dump(bytes));
        assertTrue(e.getMessage().contains(message), () -> "message '" + e.getMessage() + "' does not say '" + message + "'");
        assertEquals(0, payload.position(), "a refused payload is left as it was");
    }

    private static Arguments row(String name, String hex, ErrorCode code, String message) {
        return Arguments.of(name, hex, code, message);
    }
}
