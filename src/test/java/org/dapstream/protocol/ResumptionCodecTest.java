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
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The messages of session resumption: exact bytes of RESUME_HELLO, RESUME_ACCEPT and
 * RESUME_FINISH (handshake codec) and of TICKET and RESUMED (CONTROL codec), both ways, and
 * the malformed payloads each decoder refuses, with the code and the words that say why.
 */
class ResumptionCodecTest {
    private static final ErrorCode HANDSHAKE = ErrorCode.MALFORMED_HANDSHAKE;
    private static final ErrorCode CONTROL = ErrorCode.MALFORMED_CONTROL;
    /** RESUME_HELLO after its ticket: random (11..), key share (22..), binder (33..). */
    private static final String HELLO_TAIL = "11".repeat(32) + "22".repeat(1216) + "33".repeat(32);
    /** RESUME_ACCEPT after keepalive_ms: random (44..), key share (55..), mac (66..). */
    private static final String ACCEPT_TAIL = "44".repeat(32) + "55".repeat(1120) + "66".repeat(32);

    // ---- golden bytes ----

    @Test
    void resumeHello() throws ProtocolException {
        String hex = ""
                + "14"             // kind RESUME_HELLO
                + "0100"           // version 1
                + "0300"           // suites 0x0003 (AES-256-GCM, ChaCha20-Poly1305)
                + "0300"           // features 0x0003 (ACKS, RESUMPTION)
                + "0300" + "c0ffee" // ticket vec: 3 bytes
                + HELLO_TAIL;      // random[32] | x25519[32] | mlkem_ek[1184] | binder[32]
        byte[] bytes = Hex.decode(hex);
        assertEquals(1289 + 3, bytes.length);
        assertEquals(HandshakeCodec.RESUME_HELLO_FIXED_SIZE + 3, bytes.length);
        HandshakeMessage.ResumeHello m = new HandshakeMessage.ResumeHello(1, 0x0003, Features.ACKS | Features.RESUMPTION,
                Hex.decode("c0ffee"), fill(0x11, 32), fill(0x22, 1216), fill(0x33, 32));
        Hex.assertBytes(bytes, HandshakeCodec.encode(m), "encode RESUME_HELLO");
        HandshakeMessage.ResumeHello d = (HandshakeMessage.ResumeHello) decodeHandshake(bytes);
        assertEquals(1, d.version());
        assertEquals(0x0003, d.suites());
        assertEquals(0x0003, d.features());
        assertArrayEquals(Hex.decode("c0ffee"), d.ticket());
        assertArrayEquals(fill(0x11, 32), d.random());
        assertArrayEquals(fill(0x22, 1216), d.keyShare());
        assertArrayEquals(fill(0x33, 32), d.binder());
    }

    @Test
    void resumeHelloWithTheLongestTicketAndTopBitsSet() throws ProtocolException {
        String hex = "14" + "ffff" + "0080" + "0180" + "0002" + "ab".repeat(512) + HELLO_TAIL;
        byte[] bytes = Hex.decode(hex);
        HandshakeMessage.ResumeHello d = (HandshakeMessage.ResumeHello) decodeHandshake(bytes);
        assertEquals(0xFFFF, d.version());
        assertEquals(0x8000, d.suites());
        assertEquals(0x8001, d.features());
        assertEquals(512, d.ticket().length);
        Hex.assertBytes(bytes, HandshakeCodec.encode(d), "re-encode");
    }

    @Test
    void resumeAccept() throws ProtocolException {
        String hex = ""
                + "15"             // kind RESUME_ACCEPT
                + "0100"           // version 1
                + "0100"           // suite 0x0001 AES-256-GCM
                + "0300"           // features 0x0003
                + "efbeadde"       // session 0xDEADBEEF
                + "b80b0000"       // keepalive_ms 3000
                + ACCEPT_TAIL;     // random[32] | x25519[32] | mlkem_ct[1088] | mac[32]
        byte[] bytes = Hex.decode(hex);
        assertEquals(1199, bytes.length);
        assertEquals(HandshakeCodec.RESUME_ACCEPT_SIZE, bytes.length);
        HandshakeMessage.ResumeAccept m = new HandshakeMessage.ResumeAccept(1, 0x0001, 0x0003, 0xDEADBEEF, 3000,
                fill(0x44, 32), fill(0x55, 1120), fill(0x66, 32));
        Hex.assertBytes(bytes, HandshakeCodec.encode(m), "encode RESUME_ACCEPT");
        HandshakeMessage.ResumeAccept d = (HandshakeMessage.ResumeAccept) decodeHandshake(bytes);
        assertEquals(1, d.version());
        assertEquals(1, d.suite());
        assertEquals(3, d.features());
        assertEquals(0xDEADBEEF, d.sessionId());
        assertEquals(3000, d.keepAliveTimeoutMillis());
        assertArrayEquals(fill(0x44, 32), d.random());
        assertArrayEquals(fill(0x55, 1120), d.keyShare());
        assertArrayEquals(fill(0x66, 32), d.mac());
    }

    @Test
    void resumeFinish() throws ProtocolException {
        String hex = "16" + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        byte[] bytes = Hex.decode(hex);
        assertEquals(33, bytes.length);
        byte[] mac = Arrays.copyOfRange(bytes, 1, 33);
        Hex.assertBytes(bytes, HandshakeCodec.encode(new HandshakeMessage.ResumeFinish(mac)), "encode RESUME_FINISH");
        assertArrayEquals(mac, ((HandshakeMessage.ResumeFinish) decodeHandshake(bytes)).mac());
    }

    @Test
    void ticket() throws ProtocolException {
        String hex = ""
                + "13"             // kind TICKET
                + "01000000"       // ticket_number 1
                + "805101ff"       // lifetime_s 0xFF015180 (u32, not negative)
                + "0400"           // ticket vec: 4 bytes
                + "deadbeef";
        byte[] bytes = Hex.decode(hex);
        ControlMessage.Ticket m = new ControlMessage.Ticket(1, 0xFF01_5180L, Hex.decode("deadbeef"));
        Hex.assertBytes(bytes, ControlCodec.encode(m), "encode TICKET");
        for (ByteBuffer payload : List.of(ByteBuffer.wrap(bytes), embed(bytes))) {
            int position = payload.position();
            ControlMessage.Ticket d = (ControlMessage.Ticket) ControlCodec.decode(payload);
            assertEquals(1, d.ticketNumber());
            assertEquals(0xFF01_5180L, d.lifetimeSeconds());
            assertArrayEquals(Hex.decode("deadbeef"), d.ticket());
            assertEquals(position, payload.position(), "decode moved the position");
        }
    }

    @Test
    void ticketWithTheLargestNumberAndTheLongestTicket() throws ProtocolException {
        byte[] bytes = Hex.decode("13 ffffffff 00000000 0002 " + "5a".repeat(512));
        ControlMessage.Ticket d = (ControlMessage.Ticket) ControlCodec.decode(ByteBuffer.wrap(bytes));
        assertEquals(0xFFFF_FFFFL, d.ticketNumber());
        assertEquals(0, d.lifetimeSeconds());
        assertEquals(512, d.ticket().length);
        Hex.assertBytes(bytes, ControlCodec.encode(d), "re-encode");
    }

    @Test
    void resumed() throws ProtocolException {
        String hex = ""
                + "17"                 // kind RESUMED
                + "0200"               // count 2
                + "0100" + "0300000000000000"   // ch 1: received 3
                + "ffff" + "0000000000000080";  // ch 65535: received 2^63 (u64)
        List<ControlMessage.ChannelReceived> channels = List.of(new ControlMessage.ChannelReceived(1, 3),
                new ControlMessage.ChannelReceived(0xFFFF, Long.MIN_VALUE));
        assertControl(hex, new ControlMessage.Resumed(channels));
    }

    @Test
    void resumedWithoutChannels() throws ProtocolException {
        assertControl("17 0000", new ControlMessage.Resumed(List.of()));
    }

    @Test
    void theResumptionKindsAreHandshakeKindsOrControlKinds() {
        for (int kind : new int[]{0x06, 0x07, 0x08, 0x09, 0x14, 0x15, 0x16}) {
            assertTrue(HandshakeMessage.isHandshakeKind(kind), Integer.toHexString(kind));
        }
        for (int kind : new int[]{0x05, 0x0A, 0x12, 0x13, 0x17, 0x18}) {
            assertFalse(HandshakeMessage.isHandshakeKind(kind), Integer.toHexString(kind));
        }
        assertEquals(0x0002, Features.RESUMPTION);
        assertEquals(0x0003, Features.KNOWN);
    }

    // ---- the encoders refuse what they cannot write ----

    @Test
    void encodersRefuseOutOfRangeFields() {
        byte[] r = new byte[32];
        byte[] share = new byte[1216];
        assertThrows(IllegalArgumentException.class,
                () -> HandshakeCodec.encode(new HandshakeMessage.ResumeHello(1, 1, 3, new byte[0], r, share, r)));
        assertThrows(IllegalArgumentException.class,
                () -> HandshakeCodec.encode(new HandshakeMessage.ResumeHello(1, 1, 3, new byte[513], r, share, r)));
        assertThrows(IllegalArgumentException.class,
                () -> HandshakeCodec.encode(new HandshakeMessage.ResumeHello(1, 1, 3, new byte[1], r, share, new byte[31])));
        assertThrows(IllegalArgumentException.class,
                () -> HandshakeCodec.encode(new HandshakeMessage.ResumeAccept(1, 1, 3, 1, 1, r, share, r)));
        assertThrows(IllegalArgumentException.class, () -> HandshakeCodec.encode(new HandshakeMessage.ResumeFinish(new byte[33])));
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(new ControlMessage.Ticket(1, 1, new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(new ControlMessage.Ticket(1, 1, new byte[513])));
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(new ControlMessage.Ticket(-1, 1, new byte[1])));
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(new ControlMessage.Ticket(1, 0x1_0000_0000L, new byte[1])));
        assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.encode(new ControlMessage.Resumed(List.of(new ControlMessage.ChannelReceived(0, 1)))));
    }

    // ---- malformed input ----

    static Stream<Arguments> handshakeMessages() {
        String hello = "14 0100 0300 0300 ";
        return Stream.of(
                row("RESUME_HELLO kind only", "14", HANDSHAKE, "RESUME_HELLO is 1 bytes, shorter than its 1290-byte minimum"),
                row("RESUME_HELLO truncated below the minimum", hello + "0100 aa" + HELLO_TAIL.substring(2), HANDSHAKE,
                        "RESUME_HELLO is 1289 bytes, shorter than its 1290-byte minimum"),
                row("RESUME_HELLO truncated: one byte of the binder missing", hello + "0200 aabb" + HELLO_TAIL.substring(2), HANDSHAKE,
                        "RESUME_HELLO has 1279 bytes after its ticket, must be 1280"),
                row("RESUME_HELLO with a trailing byte", hello + "0100 aa" + HELLO_TAIL + "00", HANDSHAKE,
                        "RESUME_HELLO has 1281 bytes after its ticket, must be 1280"),
                row("RESUME_HELLO ticket of 0 bytes", hello + "0000 " + HELLO_TAIL + "00", HANDSHAKE,
                        "RESUME_HELLO ticket is empty; a ticket is 1..512 bytes"),
                row("RESUME_HELLO ticket of 513 bytes", hello + "0102 " + "aa".repeat(513) + HELLO_TAIL, HANDSHAKE,
                        "RESUME_HELLO ticket of 513 bytes exceeds its 512-byte limit"),
                // The minimum size leaves more than 512 bytes after the length field: a bad length shows in the tail.
                row("RESUME_HELLO ticket length runs into the tail", hello + "ff01 " + HELLO_TAIL + "00", HANDSHAKE,
                        "RESUME_HELLO has 770 bytes after its ticket, must be 1280"),
                row("RESUME_HELLO ticket one byte longer than declared", hello + "0100 aabb" + HELLO_TAIL, HANDSHAKE,
                        "RESUME_HELLO has 1281 bytes after its ticket, must be 1280"),
                row("RESUME_ACCEPT kind only", "15", HANDSHAKE, "RESUME_ACCEPT is 1 bytes, must be exactly 1199"),
                row("RESUME_ACCEPT one byte short", "15 0100 0100 0300 01000000 b80b0000" + ACCEPT_TAIL.substring(2), HANDSHAKE,
                        "RESUME_ACCEPT is 1198 bytes, must be exactly 1199"),
                row("RESUME_ACCEPT one byte long", "15 0100 0100 0300 01000000 b80b0000" + ACCEPT_TAIL + "00", HANDSHAKE,
                        "RESUME_ACCEPT is 1200 bytes, must be exactly 1199"),
                row("RESUME_FINISH kind only", "16", HANDSHAKE, "RESUME_FINISH is 1 bytes, must be exactly 33"),
                row("RESUME_FINISH one byte short", "16" + "00".repeat(31), HANDSHAKE, "RESUME_FINISH is 32 bytes, must be exactly 33"),
                row("RESUME_FINISH one byte long", "16" + "00".repeat(33), HANDSHAKE, "RESUME_FINISH is 34 bytes, must be exactly 33"),
                row("kind 0x13 (TICKET is not a handshake message)", "13 01000000", HANDSHAKE, "0x13 is not a handshake message kind"),
                row("kind 0x17 (RESUMED is not a handshake message)", "17 0000", HANDSHAKE, "0x17 is not a handshake message kind"));
    }

    static Stream<Arguments> controlMessages() {
        return Stream.of(
                row("TICKET kind only", "13", CONTROL, "TICKET is 1 bytes, must be at least 12"),
                row("TICKET without its ticket", "13 01000000 3c000000 0100", CONTROL, "TICKET is 11 bytes, must be at least 12"),
                row("TICKET ticket of 0 bytes", "13 01000000 3c000000 0000 00", CONTROL,
                        "TICKET ticket length 0; a ticket is 1..512 bytes"),
                row("TICKET ticket of 513 bytes", "13 01000000 3c000000 0102 " + "aa".repeat(513), CONTROL,
                        "TICKET ticket length 513; a ticket is 1..512 bytes"),
                row("TICKET ticket truncated", "13 01000000 3c000000 0300 aabb", CONTROL, "TICKET ticket length 3, but 2 bytes follow"),
                row("TICKET with a trailing byte", "13 01000000 3c000000 0100 aa 00", CONTROL, "TICKET ticket length 1, but 2 bytes follow"),
                row("RESUMED kind only", "17", CONTROL, "RESUMED is 1 bytes, must be at least 3"),
                row("RESUMED half a count", "17 01", CONTROL, "RESUMED is 2 bytes, must be at least 3"),
                row("RESUMED count 1, entry truncated", "17 0100 0100 03000000000000", CONTROL,
                        "RESUMED of 1 channels is 12 bytes, must be exactly 13"),
                row("RESUMED count 0 with a trailing byte", "17 0000 00", CONTROL, "RESUMED of 0 channels is 4 bytes, must be exactly 3"),
                row("RESUMED count 2, one entry", "17 0200 0100 0300000000000000", CONTROL,
                        "RESUMED of 2 channels is 13 bytes, must be exactly 23"),
                row("RESUMED count 1, two entries", "17 0100 0100 0300000000000000 0300 0100000000000000", CONTROL,
                        "RESUMED of 1 channels is 23 bytes, must be exactly 13"),
                row("RESUMED lists ch 0", "17 0100 0000 0300000000000000", CONTROL, "RESUMED lists ch 0; channels are 1..65535"),
                row("kind 0x14 (handshake) outside the handshake", "14 0100", CONTROL, "handshake message kind 0x14 outside the handshake"),
                row("kind 0x15 (handshake) outside the handshake", "15", CONTROL, "handshake message kind 0x15 outside the handshake"),
                row("kind 0x16 (handshake) outside the handshake", "16" + "00".repeat(32), CONTROL,
                        "handshake message kind 0x16 outside the handshake"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handshakeMessages")
    void handshakeMessageIsRefused(String name, String hex, ErrorCode code, String message) {
        assertRefused(hex, code, message, HandshakeCodec::decode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("controlMessages")
    void controlMessageIsRefused(String name, String hex, ErrorCode code, String message) {
        assertRefused(hex, code, message, ControlCodec::decode);
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

    private static HandshakeMessage decodeHandshake(byte[] bytes) throws ProtocolException {
        HandshakeMessage m = HandshakeCodec.decode(ByteBuffer.wrap(bytes));
        HandshakeMessage fromSlice = HandshakeCodec.decode(embed(bytes));
        Hex.assertBytes(HandshakeCodec.encode(m), HandshakeCodec.encode(fromSlice), "decode from a big-endian slice at an offset");
        return m;
    }

    private static void assertControl(String hex, ControlMessage message) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        Hex.assertBytes(bytes, ControlCodec.encode(message), "encode " + message);
        assertEquals(message, ControlCodec.decode(ByteBuffer.wrap(bytes)), "decode\n" + Hex.dump(bytes));
        ByteBuffer embedded = embed(bytes);
        int position = embedded.position();
        assertEquals(message, ControlCodec.decode(embedded), "decode from a big-endian slice at an offset");
        assertEquals(position, embedded.position(), "decode moved the position");
    }

    private static ByteBuffer embed(byte[] bytes) {
        byte[] backing = new byte[7 + 3 + bytes.length + 5];
        Arrays.fill(backing, (byte) 0xEE);
        System.arraycopy(bytes, 0, backing, 10, bytes.length);
        ByteBuffer slice = ByteBuffer.wrap(backing, 7, backing.length - 7).slice().order(ByteOrder.BIG_ENDIAN);
        slice.position(3).limit(3 + bytes.length);
        return slice;
    }

    private static byte[] fill(int value, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
