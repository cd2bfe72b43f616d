package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;

/**
 * What a channel is apart from the connection carrying it: its id, type, which side opened
 * it, and the seed's {@code seq_id} per direction. This is the part of a channel that
 * outlives one stream when a session moves to another; everything else of {@link Channel}
 * (queues, windows, keys, callbacks) belongs to the stream it runs on.
 *
 * <p>A value taken from the channel ({@link Channel#ledger()}), and given to a channel that
 * continues it on another stream ({@link Channel#resume(ChannelLedger)}): the sequence
 * numbers themselves stay plain fields of the channel, read and written per frame.
 *
 * @param seqOut next seq_id to send
 * @param seqIn  next seq_id expected from the peer
 */
record ChannelLedger(int id, ChannelType type, boolean openedLocally, int seqOut, int seqIn) {
}
