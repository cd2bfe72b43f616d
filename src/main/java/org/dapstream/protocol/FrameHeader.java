package org.dapstream.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 12-byte frame header: the seed's packed {@code dap_stream_packet_hdr_t}, little-endian.
 *
 * <pre>
 *  0               4   5               9       11  12
 * +---------------+---+---------------+-------+---+---------------------+
 * | size (u32 LE) |typ| seq_id (u32LE)|ch (LE)|flg| payload: size bytes |
 * +---------------+---+---------------+-------+---+---------------------+
 * </pre>
 *
 * The writers put bytes at absolute indices and ignore the buffer's own byte order, so a
 * caller never has to remember to set it.
 */
public final class FrameHeader {
    /** Bytes in a header. */
    public static final int SIZE = 12;
    public static final int OFFSET_SIZE = 0;
    public static final int OFFSET_TYPE = 4;
    public static final int OFFSET_SEQ = 5;
    public static final int OFFSET_CHANNEL = 9;
    public static final int OFFSET_FLAGS = 11;
    /** Channel ids are u16; 0 is the stream itself. */
    public static final int MAX_CHANNEL_ID = 0xFFFF;

    private static final VarHandle INT_LE_BB =
            MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE_BB =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE_BB =
            MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE_ARRAY =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE_ARRAY =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private FrameHeader() {
    }

    /**
     * Writes a header at {@code index} of {@code dst} without moving its position.
     * These are our own frames: a bad argument is a bug here, not a peer's fault.
     */
    public static void write(ByteBuffer dst, int index, int size, PacketType type, int seqId, int channelId, int flags) {
        check(size, channelId, flags);
        // Two stores instead of five: bytes 0..7 are size, type and the low 3 bytes of seq_id;
        // bytes 8..11 are the top byte of seq_id, ch_id and flags (all little-endian).
        LONG_LE_BB.set(dst, index, (size & 0xFFFF_FFFFL) | ((long) type.code() << 32) | ((long) seqId << 40));
        INT_LE_BB.set(dst, index + 8, (seqId >>> 24) | (channelId << 8) | (flags << 24));
    }

    /** Writes a header at {@code offset} of {@code dst}. */
    public static void write(byte[] dst, int offset, int size, PacketType type, int seqId, int channelId, int flags) {
        check(size, channelId, flags);
        INT_LE_ARRAY.set(dst, offset + OFFSET_SIZE, size);
        dst[offset + OFFSET_TYPE] = (byte) type.code();
        INT_LE_ARRAY.set(dst, offset + OFFSET_SEQ, seqId);
        SHORT_LE_ARRAY.set(dst, offset + OFFSET_CHANNEL, (short) channelId);
        dst[offset + OFFSET_FLAGS] = (byte) flags;
    }

    /** Encodes a whole frame (header and payload) into a new array; for tests and tools, not hot paths. */
    public static byte[] frame(PacketType type, int seqId, int channelId, int flags, byte[] payload) {
        byte[] out = new byte[SIZE + payload.length];
        write(out, 0, payload.length, type, seqId, channelId, flags);
        System.arraycopy(payload, 0, out, SIZE, payload.length);
        return out;
    }

    /** Reads the u32 {@code size} field; the caller treats it as unsigned. */
    static int readSize(byte[] src, int offset) {
        return (int) INT_LE_ARRAY.get(src, offset + OFFSET_SIZE);
    }

    static int readSeq(byte[] src, int offset) {
        return (int) INT_LE_ARRAY.get(src, offset + OFFSET_SEQ);
    }

    static int readChannel(byte[] src, int offset) {
        return Short.toUnsignedInt((short) SHORT_LE_ARRAY.get(src, offset + OFFSET_CHANNEL));
    }

    /** Reads the u32 {@code size} field at {@code index}, whatever the buffer's byte order; the caller treats it as unsigned. */
    public static int readSize(ByteBuffer src, int index) {
        return (int) INT_LE_BB.get(src, index + OFFSET_SIZE);
    }

    /** Reads the u32 {@code seq_id} field of the header at {@code index}. */
    public static int readSeq(ByteBuffer src, int index) {
        return (int) INT_LE_BB.get(src, index + OFFSET_SEQ);
    }

    /** Reads the u16 {@code ch_id} field of the header at {@code index}, 0..65535. */
    public static int readChannel(ByteBuffer src, int index) {
        return Short.toUnsignedInt((short) SHORT_LE_BB.get(src, index + OFFSET_CHANNEL));
    }

    private static void check(int size, int channelId, int flags) {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0: " + size);
        }
        if (channelId < 0 || channelId > MAX_CHANNEL_ID) {
            throw new IllegalArgumentException("channel id out of u16 range: " + channelId);
        }
        if ((flags & ~Flags.DEFINED) != 0) {
            throw new IllegalArgumentException("reserved flag bits set: " + Flags.describe(flags));
        }
    }
}
