package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.List;

/** FILE channel messages: golden bytes both ways, and a table of malformed ones with their messages. */
class FileCodecTest {
    static final String SHA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    static byte[] sha() {
        return Hex.decode(SHA);
    }

    private static void golden(String hex, FileMessage message) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        Hex.assertBytes(bytes, FileCodec.encode(message), "encode " + message);
        FileMessage decoded = FileCodec.decode(ByteBuffer.wrap(bytes));
        assertArrayEquals(FileCodec.encode(message), FileCodec.encode(decoded), "decode gives back " + message);
    }

    @Test
    void offer() throws ProtocolException {
        golden("01" + "07000000" + "0010000000000000" + "a401" + "0068e5cf8b010000" + "0500" + "612f622e63",
                new FileMessage.Offer(7, 4096, 0644, 1_700_000_000_000L, "a/b.c"));
    }

    @Test
    void theOtherKinds() throws ProtocolException {
        golden("02" + "07000000" + "0004000000000000", new FileMessage.Accept(7, 1024));
        golden("03" + "07000000" + "68690a", new FileMessage.Chunk(7, new byte[] {'h', 'i', '\n'}));
        golden("04" + "07000000" + SHA, new FileMessage.End(7, sha()));
        golden("05" + "ffffffff", new FileMessage.Done(-1));
        golden("06" + "07000000" + "3100" + "657869737473", new FileMessage.Fail(7, 0x31, "exists"));
        golden("07" + "07000000" + "0a00000000000000" + "0100" + "78", new FileMessage.Get(7, 10, "x"));
        assertArrayEquals(Hex.decode("03" + "07000000" + "6263"), FileCodec.chunk(7, new byte[] {'a', 'b', 'c', 'd'}, 1, 2));
    }

    record Bad(String name, String hex, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> malformed() {
        String offerHead = "01 07000000 0010000000000000 a401 0000000000000000";
        return List.of(
                new Bad("empty", "", "empty FILE message"),
                new Bad("kind 0", "00 07000000", "unknown FILE message kind 0x00"),
                new Bad("kind 0x08", "08 07000000", "unknown FILE message kind 0x08"),
                new Bad("no transfer", "04 0700", "END is 3 bytes, shorter than its kind and transfer (5)"),
                new Bad("END without its SHA-256", "04 07000000", "END is 5 bytes, must be exactly 37"),
                new Bad("END one byte long", "04 07000000 " + SHA + " 00", "END is 38 bytes, must be exactly 37"),
                new Bad("DONE one byte long", "05 07000000 00", "DONE is 6 bytes, must be exactly 5"),
                new Bad("ACCEPT short", "02 07000000 00000000", "ACCEPT is 9 bytes, must be exactly 13"),
                new Bad("ACCEPT offset over 2^63-1", "02 07000000 ffffffffffffffff", "ACCEPT offset 18446744073709551615 is over 2^63 - 1"),
                new Bad("empty CHUNK", "03 07000000", "CHUNK is 5 bytes, at least 6"),
                new Bad("OFFER without path", offerHead + " 0000", "OFFER is 25 bytes, at least 26"),
                new Bad("OFFER path_len 0", offerHead + " 0000 61", "OFFER path is 0 bytes, must be 1..4096"),
                new Bad("OFFER path_len past the end", offerHead + " 0200 61", "OFFER path_len says 2 bytes, 1 follow"),
                new Bad("OFFER trailing bytes", offerHead + " 0100 6162", "OFFER path_len says 1 bytes, 2 follow"),
                new Bad("OFFER path not UTF-8", offerHead + " 0100 ff", "OFFER path is not valid UTF-8"),
                new Bad("OFFER mode beyond 07777", "01 07000000 0010000000000000 0010 0000000000000000 0100 61",
                        "OFFER mode 010000 has bits beyond 07777"),
                new Bad("OFFER size over 2^63-1", "01 07000000 ffffffffffffffff a401 0000000000000000 0100 61",
                        "OFFER size 18446744073709551615 is over 2^63 - 1"),
                new Bad("FAIL without code", "06 07000000 31", "FAIL is 6 bytes, at least 7"),
                new Bad("FAIL reason not UTF-8", "06 07000000 3100 c0af", "FAIL reason is not valid UTF-8"),
                new Bad("GET without path", "07 07000000 0000000000000000 0000", "GET is 15 bytes, at least 16"),
                new Bad("GET path_len 5000", "07 07000000 0000000000000000 8813 61", "GET path is 5000 bytes, must be 1..4096"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedMessagesAreRefusedWithWhatIsWrong(Bad bad) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> FileCodec.decode(ByteBuffer.wrap(Hex.decode(bad.hex()))));
        assertEquals(ErrorCode.MALFORMED_FILE_MESSAGE, e.code());
        assertEquals(bad.message(), e.getMessage());
    }

    @Test
    void theEncoderRefusesWhatTheWireCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> FileCodec.encode(new FileMessage.End(1, new byte[31])));
        assertThrows(IllegalArgumentException.class, () -> FileCodec.encode(new FileMessage.Offer(1, -1, 0, 0, "x")));
        assertThrows(IllegalArgumentException.class, () -> FileCodec.encode(new FileMessage.Offer(1, 1, 010000, 0, "x")));
        assertThrows(IllegalArgumentException.class, () -> FileCodec.encode(new FileMessage.Get(1, 0, "")));
        assertThrows(IllegalArgumentException.class, () -> FileCodec.encode(new FileMessage.Get(1, 0, "p".repeat(4097))));
        assertThrows(IllegalArgumentException.class, () -> FileCodec.chunk(1, new byte[0], 0, 0));
    }
}
