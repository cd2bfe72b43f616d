package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;

/**
 * What a channel is apart from the connection carrying it: its id, type, which side opened
 * it, and the seed's {@code seq_id} per direction. This is the part of a channel that
 * outlives one stream when a session moves to another; everything else of {@link Channel}
 * (queues, windows, keys, callbacks) belongs to the stream it runs on. Event-loop confined.
 */
final class ChannelLedger {
    final int id;
    final ChannelType type;
    final boolean openedLocally;
    /** Next seq_id to send. */
    int seqOut;
    /** Next seq_id expected from the peer. */
    int seqIn;

    ChannelLedger(int id, ChannelType type, boolean openedLocally) {
        this.id = id;
        this.type = type;
        this.openedLocally = openedLocally;
    }
}
