package org.dapstream.cluster;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;

/**
 * Serves LINK on the client port only to refuse it with a specific code: links run on the
 * cluster port, between endorsed members; a LINK channel here is a misconfigured member or a
 * client forging one, and its stream ends with LINK_REFUSED.
 */
public final class LinkRefusal implements ChannelService {
    @Override
    public ChannelType type() {
        return ChannelType.LINK;
    }

    @Override
    public void opened(Channel channel) {
        channel.stream().close(ErrorCode.LINK_REFUSED, "LINK channels are served on the cluster port only");
    }
}
