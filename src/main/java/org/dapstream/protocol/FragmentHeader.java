package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first 8 bytes of the (decompressed, decrypted) payload of every frame of a fragmented
 * DATA message: {@code total u32 | offset u32}, little-endian. {@code total} is the whole
 * message's length, the same in every fragment; {@code offset} is where this fragment's
 * data starts in it. Every fragment but the last carries the FRAGMENTED flag; the last one
 * does not, and ends the message exactly at {@code total}.
 *
 * <p>Per-channel sequence numbers already order the fragments; the offset lets a receiver
 * tell a continuation of no started message ({@link ErrorCode#UNKNOWN_FRAGMENT}) and a
 * sender bug ({@link ErrorCode#FRAGMENT_OUT_OF_ORDER}) from a well-formed message.
 */
public record FragmentHeader(long total, long offset) {
    public static final int SIZE = 8;
    /** Largest {@code total}: it is a u32. */
    public static final long MAX_TOTAL = 0xFFFF_FFFFL;

    /**
     * Writes the header at {@code at} (absolute; the buffer's position is not moved).
     *
     * @throws IllegalArgumentException when {@code total} is not a u32 or {@code offset} is not
     *         within 0..total (a sender's bug: the wire cannot carry it)
     */
    public static void write(ByteBuffer out, int at, long total, long offset) {
        if (total < 0 || total > MAX_TOTAL) {
            throw new IllegalArgumentException("fragment total is a u32: " + total);
        }
        if (offset < 0 || offset > total) {
            throw new IllegalArgumentException("fragment offset must be 0.." + total + ": " + offset);
        }
        ByteBuffer le = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(at, (int) total);
        le.putInt(at + 4, (int) offset);
    }

    public static void write(byte[] out, int at, long total, long offset) {
        write(ByteBuffer.wrap(out), at, total, offset);
    }

    /** Reads the header at the payload's position without moving it. */
    public static FragmentHeader read(ByteBuffer payload) throws ProtocolException {
        if (payload.remaining() < SIZE) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "a fragment of " + payload.remaining()
                    + " bytes is shorter than its " + SIZE + "-byte header");
        }
        ByteBuffer le = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int at = payload.position();
        return new FragmentHeader(Integer.toUnsignedLong(le.getInt(at)), Integer.toUnsignedLong(le.getInt(at + 4)));
    }

    /** Bytes of message data in a fragment payload of {@code payloadSize} bytes. */
    public static int dataSize(int payloadSize) {
        return payloadSize - SIZE;
    }
}
