package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;

/**
 * A handler that serves every channel of one type a peer opens. Register it with
 * {@link ChannelRegistry#register}, or make it a CDI bean ({@code @ApplicationScoped}) and
 * the server registers it at start.
 */
public interface ChannelService extends ChannelHandler {
    /** The channel type this service answers. */
    ChannelType type();
}
