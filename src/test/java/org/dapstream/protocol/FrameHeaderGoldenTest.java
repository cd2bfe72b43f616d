package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The 12-byte header, byte by byte: what {@link FrameHeader} writes and what {@link FrameDecoder}
 * reads back. Expected bytes are spelled out field by field (little-endian) so a wrong byte
 * order or offset shows up as a wrong field, not as a wrong blob.
 */
class FrameHeaderGoldenTest {

    /** Filler around the header in the destination, to catch writes outside the 12 bytes. */
    private static final byte SENTINEL = (byte) 0xA5;

    @Test
    void dataFrameWith64BytePayloadOnChannel3Seq7() {
        byte[] payload = new byte[64];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        String header = ""
                + "40000000" // size 64
                + "01"       // type DATA
                + "07000000" // seq_id 7
                + "0300"     // ch_id 3
                + "00";      // flags none
        assertGolden(header, PacketType.DATA, 7, 3, 0, payload);
    }

    @Test
    void controlFrame() {
        String header = ""
                + "03000000" // size 3
                + "02"       // type CONTROL
                + "78563412" // seq_id 0x12345678
                + "0000"     // ch_id 0 (the stream itself)
                + "00";      // flags none
        assertGolden(header, PacketType.CONTROL, 0x12345678, 0, 0, Hex.decode("04 0100"));
    }

    @Test
    void keepAliveFrame() {
        String header = ""
                + "09000000" // size 9
                + "03"       // type KEEPALIVE
                + "01000000" // seq_id 1
                + "0000"     // ch_id 0
                + "00";      // flags none
        assertGolden(header, PacketType.KEEPALIVE, 1, 0, 0, Hex.decode("00 0807060504030201"));
    }

    @Test
    void closeFrame() {
        String header = ""
                + "02000000" // size 2
                + "04"       // type CLOSE
                + "02010000" // seq_id 0x102
                + "3412"     // ch_id 0x1234
                + "00";      // flags none
        assertGolden(header, PacketType.CLOSE, 0x102, 0x1234, 0, Hex.decode("0000"));
    }

    @Test
    void errorFrame() {
        String header = ""
                + "05000000" // size 5
                + "05"       // type ERROR
                + "00000080" // seq_id 0x80000000 (above Integer.MAX_VALUE)
                + "0100"     // ch_id 1
                + "00";      // flags none
        assertGolden(header, PacketType.ERROR, 0x80000000, 1, 0, Hex.decode("0700 626164"));
    }

    @Test
    void compressedFlag() {
        String header = ""
                + "01000000" // size 1
                + "01"       // type DATA
                + "00000000" // seq_id 0
                + "0500"     // ch_id 5
                + "01";      // flags COMPRESSED
        assertGolden(header, PacketType.DATA, 0, 5, Flags.COMPRESSED, Hex.decode("ff"));
    }

    @Test
    void encryptedFlag() {
        String header = ""
                + "01000000" // size 1
                + "01"       // type DATA
                + "00000000" // seq_id 0
                + "0500"     // ch_id 5
                + "02";      // flags ENCRYPTED
        assertGolden(header, PacketType.DATA, 0, 5, Flags.ENCRYPTED, Hex.decode("ff"));
    }

    @Test
    void fragmentedFlag() {
        String header = ""
                + "01000000" // size 1
                + "01"       // type DATA
                + "00000000" // seq_id 0
                + "0500"     // ch_id 5
                + "04";      // flags FRAGMENTED
        assertGolden(header, PacketType.DATA, 0, 5, Flags.FRAGMENTED, Hex.decode("ff"));
    }

    @Test
    void allDefinedFlagsTogether() {
        String header = ""
                + "01000000" // size 1
                + "01"       // type DATA
                + "00000000" // seq_id 0
                + "0500"     // ch_id 5
                + "07";      // flags COMPRESSED|ENCRYPTED|FRAGMENTED
        assertGolden(header, PacketType.DATA, 0, 5, Flags.COMPRESSED | Flags.ENCRYPTED | Flags.FRAGMENTED, Hex.decode("ff"));
    }

    @Test
    void largestSeqId() {
        String header = ""
                + "00000000" // size 0
                + "01"       // type DATA
                + "ffffffff" // seq_id 0xFFFFFFFF, the last before a wrap
                + "0200"     // ch_id 2
                + "00";      // flags none
        assertGolden(header, PacketType.DATA, 0xFFFFFFFF, 2, 0, new byte[0]);
    }

    @Test
    void largestChannelId() {
        String header = ""
                + "00000000" // size 0
                + "01"       // type DATA
                + "2a000000" // seq_id 42
                + "ffff"     // ch_id 65535
                + "00";      // flags none
        assertGolden(header, PacketType.DATA, 42, 0xFFFF, 0, new byte[0]);
    }

    @Test
    void emptyFrameOfEveryType() {
        for (PacketType type : PacketType.values()) {
            String header = ""
                    + "00000000"                               // size 0
                    + String.format("%02x", type.code())       // type
                    + "00000000"                               // seq_id 0
                    + "0000"                                   // ch_id 0
                    + "00";                                    // flags none
            assertGolden(header, type, 0, 0, 0, new byte[0]);
        }
    }

    @Test
    void packetTypeCodesAreTheSeedsValues() {
        assertEquals(List.of(PacketType.DATA, PacketType.CONTROL, PacketType.KEEPALIVE, PacketType.CLOSE, PacketType.ERROR),
                List.of(PacketType.values()));
        int[] codes = Arrays.stream(PacketType.values()).mapToInt(PacketType::code).toArray();
        assertArrayEquals(new int[] {0x01, 0x02, 0x03, 0x04, 0x05}, codes);
        for (int code = -1; code <= 0x100; code++) {
            PacketType t = PacketType.fromCode(code);
            if (code >= 1 && code <= 5) {
                assertEquals(code, t.code());
            } else {
                assertEquals(null, t, "code " + code);
            }
        }
    }

    @Test
    void flagValuesAndDescription() {
        assertEquals(0x01, Flags.COMPRESSED);
        assertEquals(0x02, Flags.ENCRYPTED);
        assertEquals(0x04, Flags.FRAGMENTED);
        assertEquals(0x07, Flags.DEFINED);
        assertEquals("0x00", Flags.describe(0));
        assertEquals("0x03(COMPRESSED|ENCRYPTED)", Flags.describe(0x03));
        assertEquals("0x84(FRAGMENTED|RESERVED)", Flags.describe(0x84));
    }

    @Test
    void largestSizeTheWriterAccepts() {
        // The writer does not know the receiver's limit; it only refuses what cannot be a u32 it means.
        byte[] dst = new byte[FrameHeader.SIZE];
        FrameHeader.write(dst, 0, Integer.MAX_VALUE, PacketType.DATA, 0, 1, 0);
        Hex.assertBytes(""
                + "ffffff7f" // size 2^31-1
                + "01"       // type DATA
                + "00000000" // seq_id 0
                + "0100"     // ch_id 1
                + "00",      // flags none
                dst, "header");
    }

    @Test
    void writerRejectsReservedFlags() {
        for (int flags : new int[] {0x08, 0x10, 0x80, 0x0F, 0xFF, 0x100, -1}) {
            IllegalArgumentException e = assertRejected(4, 1, flags);
            assertTrue(e.getMessage().startsWith("reserved flag bits set: "), e.getMessage());
            assertTrue(e.getMessage().contains("RESERVED"), e.getMessage());
        }
        assertEquals("reserved flag bits set: 0x08(RESERVED)", assertRejected(4, 1, 0x08).getMessage());
    }

    @Test
    void writerRejectsChannelOutOfRange() {
        assertEquals("channel id out of u16 range: 65536", assertRejected(4, 0x10000, 0).getMessage());
        assertEquals("channel id out of u16 range: -1", assertRejected(4, -1, 0).getMessage());
        assertEquals("channel id out of u16 range: " + Integer.MIN_VALUE, assertRejected(4, Integer.MIN_VALUE, 0).getMessage());
    }

    @Test
    void writerRejectsNegativeSize() {
        assertEquals("size must be >= 0: -1", assertRejected(-1, 1, 0).getMessage());
        assertEquals("size must be >= 0: " + Integer.MIN_VALUE, assertRejected(Integer.MIN_VALUE, 1, 0).getMessage());
    }

    @Test
    void frameRejectsReservedFlagsToo() {
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.frame(PacketType.DATA, 0, 1, 0x40, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.frame(PacketType.DATA, 0, 0x10000, 0, new byte[1]));
    }

    @Test
    void headerLayoutConstants() {
        assertEquals(12, FrameHeader.SIZE);
        assertEquals(0, FrameHeader.OFFSET_SIZE);
        assertEquals(4, FrameHeader.OFFSET_TYPE);
        assertEquals(5, FrameHeader.OFFSET_SEQ);
        assertEquals(9, FrameHeader.OFFSET_CHANNEL);
        assertEquals(11, FrameHeader.OFFSET_FLAGS);
        assertEquals(0xFFFF, FrameHeader.MAX_CHANNEL_ID);
    }

    /**
     * Writes the header with both writers (the ByteBuffer one into heap and direct buffers of
     * either byte order) and {@link FrameHeader#frame}, compares with {@code headerHex}, then
     * decodes header + payload and compares the fields.
     */
    private static void assertGolden(String headerHex, PacketType type, int seq, int channel, int flags, byte[] payload) {
        byte[] expectedHeader = Hex.decode(headerHex);
        assertEquals(FrameHeader.SIZE, expectedHeader.length, "the golden header itself is 12 bytes");
        byte[] expectedFrame = concat(expectedHeader, payload);

        // byte[] writer, at a non-zero offset, nothing outside the 12 bytes touched
        int offset = 3;
        byte[] array = new byte[offset + FrameHeader.SIZE + 5];
        Arrays.fill(array, SENTINEL);
        FrameHeader.write(array, offset, payload.length, type, seq, channel, flags);
        Hex.assertBytes(expectedHeader, Arrays.copyOfRange(array, offset, offset + FrameHeader.SIZE), "byte[] writer");
        assertUntouchedOutside(array, offset, "byte[] writer");

        // ByteBuffer writer: absolute, position and limit stay, the buffer's order is irrelevant
        for (boolean direct : new boolean[] {false, true}) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
                String what = "ByteBuffer writer, " + (direct ? "direct " : "heap ") + order;
                int index = 5;
                int size = index + FrameHeader.SIZE + 7;
                ByteBuffer buffer = (direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size)).order(order);
                for (int i = 0; i < size; i++) {
                    buffer.put(i, SENTINEL);
                }
                buffer.position(2).limit(size - 1);
                FrameHeader.write(buffer, index, payload.length, type, seq, channel, flags);
                assertEquals(2, buffer.position(), what + ": position moved");
                assertEquals(size - 1, buffer.limit(), what + ": limit moved");
                assertEquals(order, buffer.order(), what + ": order changed");
                byte[] written = new byte[size];
                buffer.duplicate().clear().get(written);
                Hex.assertBytes(expectedHeader, Arrays.copyOfRange(written, index, index + FrameHeader.SIZE), what);
                assertUntouchedOutside(written, index, what);
            }
        }

        Hex.assertBytes(expectedFrame, FrameHeader.frame(type, seq, channel, flags, payload), "FrameHeader.frame");

        // and back
        FrameDecoder decoder = new FrameDecoder(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD);
        FrameRecorder sink = new FrameRecorder();
        ByteBuffer in = ByteBuffer.wrap(expectedFrame);
        try {
            decoder.feed(in, sink);
        } catch (ProtocolException e) {
            throw new AssertionError("decoding\n" + Hex.dump(expectedFrame) + "failed: " + e, e);
        }
        assertEquals(List.of(new ReceivedFrame(type, seq, channel, flags, payload)), sink.frames,
                () -> "decoded from\n" + Hex.dump(expectedFrame));
        assertFalse(in.hasRemaining(), "input consumed");
        assertFalse(decoder.hasPartialFrame());
        assertFalse(decoder.failed());
        assertEquals(1, decoder.framesDecoded());
    }

    /** Rejected by both writers, with neither destination touched; returns the byte[] writer's exception. */
    private static IllegalArgumentException assertRejected(int size, int channel, int flags) {
        byte[] array = new byte[FrameHeader.SIZE];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameHeader.write(array, 0, size, PacketType.DATA, 1, channel, flags));
        assertArrayEquals(new byte[FrameHeader.SIZE], array, "byte[] destination written before the argument check");
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> FrameHeader.write(buffer, 0, size, PacketType.DATA, 1, channel, flags));
        assertArrayEquals(new byte[FrameHeader.SIZE], buffer.array(), "ByteBuffer destination written before the argument check");
        assertEquals(e.getMessage(), e2.getMessage(), "both writers say the same");
        return e;
    }

    private static void assertUntouchedOutside(byte[] bytes, int headerStart, String what) {
        for (int i = 0; i < bytes.length; i++) {
            if (i < headerStart || i >= headerStart + FrameHeader.SIZE) {
                assertEquals(SENTINEL, bytes[i], what + ": byte " + i + " outside the header was written\n" + Hex.dump(bytes));
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
