package org.dapstream.stream;

import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;

import java.util.concurrent.CompletableFuture;

/**
 * A message waiting in a channel's send queue (for credit, a rate limit or the socket), and
 * how much of it has gone. One larger than {@link #FRAGMENT_DATA} leaves as fragments, one
 * frame per turn of the channel in the stream's round robin. Event-loop confined.
 */
final class OutboundMessage {
    /** Message bytes one fragment carries: the frame payload a message of its own may have (64 KiB). */
    static final int FRAGMENT_DATA = FrameLimits.DEFAULT_MESSAGE_PAYLOAD;

    final PacketType type;
    /** Owned by the queue, the message from index 0: a copy, or the array {@code send} cloned. */
    final byte[] data;
    final int length;
    /** Completes when the last frame went to the connection; fails if it never will. Null: nobody waits. */
    final CompletableFuture<Void> sent;
    /** Message bytes already sent. */
    int done;

    OutboundMessage(PacketType type, byte[] data, int length, CompletableFuture<Void> sent) {
        this.type = type;
        this.data = data;
        this.length = length;
        this.sent = sent;
    }

    boolean fragmented() {
        return length > FRAGMENT_DATA;
    }

    boolean started() {
        return done > 0;
    }

    /** Message bytes the next frame carries. */
    int nextChunk() {
        return Math.min(length - done, FRAGMENT_DATA);
    }
}
