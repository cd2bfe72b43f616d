package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;

/**
 * A handler that serves every channel of one type a peer opens. Register it with
 * {@link ChannelRegistry#register}, or make it a CDI bean ({@code @ApplicationScoped}) and
 * the server registers it at start.
 */
public interface ChannelService extends ChannelHandler {
    /** The channel type this service answers. */
    ChannelType type();

    /**
     * Asked before a peer's OPEN_CHANNEL of this type is accepted on {@code stream}: null
     * accepts it, a reason refuses it with OPEN_REJECT carrying the reason's code (for a
     * service that serves only some peers, e.g. proven cluster members). On the event loop.
     */
    default CloseReason refuseOpen(Stream stream) {
        return null;
    }
}
