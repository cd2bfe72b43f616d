package org.dapstream.stream;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A fragmented message being received on one channel. The buffer grows with the fragments
 * (doubling, never past the declared total), so a peer that declares a large message and
 * sends nothing more makes this side hold only what it sent. Event-loop confined.
 */
final class Reassembly {
    /** First buffer size: one full fragment. */
    private static final int INITIAL_CAPACITY = OutboundMessage.FRAGMENT_DATA;

    final long total;
    private byte[] buffer;
    private int received;
    /** When the last fragment came, for the reassembly timeout. */
    long lastFragmentNanos;

    Reassembly(long total, long now) {
        this.total = total;
        this.buffer = new byte[(int) Math.min(total, INITIAL_CAPACITY)];
        this.lastFragmentNanos = now;
    }

    int received() {
        return received;
    }

    int capacity() {
        return buffer.length;
    }

    /** Appends the fragment's data; returns by how many bytes the buffer grew. The caller checked it fits in {@link #total}. */
    int append(ByteBuffer data, long now) {
        int n = data.remaining();
        int grown = 0;
        if (received + n > buffer.length) {
            int capacity = (int) Math.min(total, Math.max((long) buffer.length * 2, (long) received + n));
            grown = capacity - buffer.length;
            buffer = Arrays.copyOf(buffer, capacity);
        }
        data.get(buffer, received, n);
        received += n;
        lastFragmentNanos = now;
        return grown;
    }

    /** The whole message, as a buffer over the reassembled bytes. */
    ByteBuffer message() {
        return ByteBuffer.wrap(buffer, 0, received);
    }
}
