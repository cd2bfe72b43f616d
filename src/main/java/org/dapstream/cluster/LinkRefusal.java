package org.dapstream.cluster;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.ChannelService;
import org.dapstream.stream.Stream;

/**
 * Serves LINK on the client port only to refuse it with a specific code: links run on the
 * cluster port, between endorsed members; a LINK channel here is a misconfigured member or a
 * client forging one, and gets OPEN_REJECT LINK_REFUSED (its stream goes on).
 */
public final class LinkRefusal implements ChannelService {
    @Override
    public ChannelType type() {
        return ChannelType.LINK;
    }

    @Override
    public CloseReason refuseOpen(Stream stream) {
        return CloseReason.of(ErrorCode.LINK_REFUSED, "LINK channels are served on the cluster port only");
    }
}
