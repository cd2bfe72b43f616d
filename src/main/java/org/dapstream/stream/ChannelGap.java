package org.dapstream.stream;

import org.dapstream.protocol.NodeAddress;

/**
 * What a channel lost when the member that held its session was lost (PROTOCOL.md section
 * 33.7): the channel ends, and this says exactly where. Of the peer's messages, those after
 * number {@code received} are lost (how many the lost member wrote is not known). Of this
 * side's, {@code acknowledged} were acknowledged by the lost member (delivered there, and
 * whatever they caused there is gone with it); numbers {@code acknowledged + 1} to
 * {@code written} were not acknowledged and are not sent again.
 *
 * @param channel      the channel, now closed with SESSION_LOST
 * @param lostOwner    the member that was lost
 * @param received     messages of the peer's this side received on the channel
 * @param acknowledged messages of this side's the lost member acknowledged
 * @param written      messages this side wrote on the channel
 */
public record ChannelGap(Channel channel, NodeAddress lostOwner, long received, long acknowledged, long written) {
    /** This side's messages that were never acknowledged: {@code acknowledged + 1 .. written}. */
    public long unacknowledged() {
        return written - acknowledged;
    }

    @Override
    public String toString() {
        return "gap on channel " + channel.id() + ": member " + lostOwner + " lost; received " + received + " of its messages (the rest lost), "
                + acknowledged + " of " + written + " of ours acknowledged";
    }
}
