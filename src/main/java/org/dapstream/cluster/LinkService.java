package org.dapstream.cluster;

import org.dapstream.crypto.PeerIdentity;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;
import org.dapstream.stream.Stream;

/**
 * Accepts LINK channels on the cluster port. The port's handshake admits only peers whose
 * identity the cluster key endorsed, so a LINK channel's peer is a proven member; this
 * service still refuses a stream without a proven identity, and a node linking to itself.
 */
final class LinkService implements ChannelService {
    private final NodeAddress self;
    private final Links links;

    LinkService(NodeAddress self, Links links) {
        this.self = self;
        this.links = links;
    }

    @Override
    public ChannelType type() {
        return ChannelType.LINK;
    }

    @Override
    public CloseReason refuseOpen(Stream stream) {
        PeerIdentity peer = stream.peerIdentity();
        if (peer == null) {
            return CloseReason.of(ErrorCode.LINK_REFUSED, "a LINK channel needs a peer proven by its cluster endorsement");
        }
        if (peer.address().equals(self)) {
            return CloseReason.of(ErrorCode.LINK_REFUSED, "a node does not link to itself");
        }
        return null;
    }

    @Override
    public void opened(Channel channel) {
        links.adopt(channel, channel.stream().peerIdentity().address(), Link.Direction.ACCEPTED);
    }
}
