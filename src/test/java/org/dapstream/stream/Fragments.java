package org.dapstream.stream;

import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.PacketType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Fragmented messages as a peer sends them (docs/PROTOCOL.md, "Fragmentation"), built by hand
 * from the wire rules so the receiving engine is checked against the spec, not against its
 * own sender; and the reverse, reassembling what the engine sent.
 */
final class Fragments {
    private Fragments() {
    }

    /** A DATA payload of a fragment: header {@code total|offset} then {@code data}. */
    static byte[] payload(long total, long offset, byte[] data) {
        byte[] p = new byte[FragmentHeader.SIZE + data.length];
        FragmentHeader.write(p, 0, total, offset);
        System.arraycopy(data, 0, p, FragmentHeader.SIZE, data.length);
        return p;
    }

    static byte[] payload(long total, long offset, int dataLength) {
        return payload(total, offset, new byte[dataLength]);
    }

    /** Sends {@code message} on {@code ch} as fragments of {@code piece} bytes (FRAGMENTED on all but the last). */
    static void send(Peer peer, int ch, byte[] message, int piece) {
        for (int at = 0; at < message.length; at += piece) {
            int n = Math.min(piece, message.length - at);
            boolean last = at + n == message.length;
            peer.send(PacketType.DATA, ch, last ? 0 : Flags.FRAGMENTED,
                    payload(message.length, at, Arrays.copyOfRange(message, at, at + n)));
        }
    }

    static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * Reassembles the DATA frames of one channel as a receiver must, checking every rule on
     * the way (headers, offsets, the flag on all but the last); returns the messages.
     */
    static List<byte[]> reassemble(List<Frame> frames) {
        List<byte[]> messages = new ArrayList<>();
        byte[] building = null;
        int received = 0;
        for (Frame f : frames) {
            boolean more = (f.flags() & Flags.FRAGMENTED) != 0;
            if (building == null && !more) {
                messages.add(f.payload());
                continue;
            }
            java.nio.ByteBuffer p = java.nio.ByteBuffer.wrap(f.payload()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long total = Integer.toUnsignedLong(p.getInt(0));
            long offset = Integer.toUnsignedLong(p.getInt(4));
            if (building == null) {
                if (offset != 0) {
                    throw new AssertionError("first fragment at offset " + offset + ": " + f);
                }
                building = new byte[(int) total];
                received = 0;
            }
            if (total != building.length || offset != received) {
                throw new AssertionError("fragment " + f + " does not continue at " + received + " of " + building.length);
            }
            int n = f.payload().length - FragmentHeader.SIZE;
            System.arraycopy(f.payload(), FragmentHeader.SIZE, building, received, n);
            received += n;
            if (!more) {
                if (received != building.length) {
                    throw new AssertionError("last fragment ends at " + received + " of " + building.length);
                }
                messages.add(building);
                building = null;
            }
        }
        if (building != null) {
            throw new AssertionError("a message was left unfinished at " + received + " of " + building.length);
        }
        return messages;
    }
}
