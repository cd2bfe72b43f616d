package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Exact bytes of the fragment header ({@code total u32 LE | offset u32 LE}) both ways, and the
 * payloads too short to hold one. The three headers of a 150000-byte message are the ones
 * docs/PROTOCOL.md §25 shows.
 */
class FragmentHeaderTest {

    @Test
    void firstFragmentOfA150000ByteMessage() throws ProtocolException {
        assertHeader(""
                + "f0490200"           // total 150000
                + "00000000",          // offset 0
                150_000, 0);
    }

    @Test
    void secondAndLastFragmentsOfA150000ByteMessage() throws ProtocolException {
        assertHeader(""
                + "f0490200"           // total 150000, the same in every fragment
                + "00000100",          // offset 65536
                150_000, 65_536);
        assertHeader(""
                + "f0490200"           // total 150000
                + "00000200",          // offset 131072: the last 18928 bytes follow
                150_000, 131_072);
    }

    @Test
    void totalAndOffsetAreUnsignedU32() throws ProtocolException {
        assertHeader(""
                + "ffffffff"           // total 4294967295 (u32, not -1)
                + "00000080",          // offset 2^31 (not a negative int)
                0xFFFF_FFFFL, 0x8000_0000L);
    }

    @Test
    void writeLeavesTheBytesAroundTheHeaderAndThePositionAlone() {
        byte[] out = new byte[3 + FragmentHeader.SIZE + 2];
        Arrays.fill(out, (byte) 0xEE);
        FragmentHeader.write(out, 3, 150_000, 65_536);
        Hex.assertBytes(""
                + "eeeeee"             // untouched
                + "f0490200 00000100"  // total 150000, offset 65536
                + "eeee",              // untouched
                out, "FragmentHeader.write(byte[], 3, ...)");

        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).position(5);
        FragmentHeader.write(big, 4, 1, 0);
        assertEquals(5, big.position(), "write moved the position");
        assertEquals(ByteOrder.BIG_ENDIAN, big.order(), "write changed the caller's byte order");
        Hex.assertBytes("00000000 01000000 00000000 00000000", big.array(), "FragmentHeader.write(ByteBuffer, 4, 1, 0)");
    }

    @Test
    void dataSizeIsThePayloadWithoutTheHeader() {
        assertEquals(65_536, FragmentHeader.dataSize(65_544));
        assertEquals(0, FragmentHeader.dataSize(FragmentHeader.SIZE));
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 4, 7})
    void aPayloadShorterThanTheHeaderIsFragmentOutOfOrder(int size) {
        byte[] bytes = Arrays.copyOf(Hex.decode("f0490200 000001"), size);
        ByteBuffer payload = ByteBuffer.wrap(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> FragmentHeader.read(payload), () -> "accepted\n" + Hex.dump(bytes));
        assertEquals(ErrorCode.FRAGMENT_OUT_OF_ORDER, e.code());
        assertEquals("a fragment of " + size + " bytes is shorter than its 8-byte header", e.getMessage());
        assertEquals(0, payload.position(), "a refused payload is left as it was");
    }

    @Test
    void onlyTheBytesFromPositionToLimitCount() throws ProtocolException {
        // Eight bytes in the array, but the limit leaves seven: refused, not read past the limit.
        ByteBuffer b = ByteBuffer.wrap(Hex.decode("ff f0490200 00000100"));
        b.position(1).limit(8);
        assertEquals(ErrorCode.FRAGMENT_OUT_OF_ORDER, assertThrows(ProtocolException.class, () -> FragmentHeader.read(b)).code());
        b.limit(9);
        assertEquals(new FragmentHeader(150_000, 65_536), FragmentHeader.read(b));
    }

    @Test
    void writeRefusesWhatTheWireCannotCarry() {
        byte[] out = new byte[FragmentHeader.SIZE];
        assertEquals("fragment total is a u32: 4294967296", assertThrows(IllegalArgumentException.class,
                () -> FragmentHeader.write(out, 0, 0x1_0000_0000L, 0)).getMessage());
        assertEquals("fragment total is a u32: -1", assertThrows(IllegalArgumentException.class,
                () -> FragmentHeader.write(out, 0, -1, 0)).getMessage());
        assertEquals("fragment offset must be 0..100: 101", assertThrows(IllegalArgumentException.class,
                () -> FragmentHeader.write(out, 0, 100, 101)).getMessage());
        assertEquals("fragment offset must be 0..100: -1", assertThrows(IllegalArgumentException.class,
                () -> FragmentHeader.write(out, 0, 100, -1)).getMessage());
        assertArrayEquals(new byte[FragmentHeader.SIZE], out, "a refused header writes nothing");
    }

    /** Writes the header, reads it back from the bytes and from a big-endian slice at an offset. */
    private static void assertHeader(String hex, long total, long offset) throws ProtocolException {
        byte[] bytes = Hex.decode(hex);
        assertEquals(FragmentHeader.SIZE, bytes.length);
        byte[] written = new byte[FragmentHeader.SIZE];
        FragmentHeader.write(written, 0, total, offset);
        Hex.assertBytes(bytes, written, "write total=" + total + " offset=" + offset);
        FragmentHeader expected = new FragmentHeader(total, offset);
        assertEquals(expected, FragmentHeader.read(ByteBuffer.wrap(bytes)), "read\n" + Hex.dump(bytes));

        // As the receiver sees it: a big-endian view at an offset, with data after the header.
        byte[] backing = new byte[5 + FragmentHeader.SIZE + 3];
        Arrays.fill(backing, (byte) 0xEE);
        System.arraycopy(bytes, 0, backing, 5, bytes.length);
        ByteBuffer payload = ByteBuffer.wrap(backing).order(ByteOrder.BIG_ENDIAN).position(5);
        assertEquals(expected, FragmentHeader.read(payload), "read from a big-endian buffer at an offset");
        assertEquals(5, payload.position(), "read moved the position");
        assertTrue(FragmentHeader.dataSize(payload.remaining()) == 3);
    }
}
