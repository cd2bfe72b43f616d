package org.dapstream.stream;

import org.dapstream.protocol.NodeAddress;

/**
 * The node a {@link Stream} runs in, as every stream of it sees it: its limits, clock,
 * channel services, session registry, address, counters and security. One value
 * per node (or per client), shared by all its streams.
 *
 * @param config    per-stream limits and timers
 * @param clock     the time source (a fake one in tests)
 * @param services  handlers for channel types the peer opens (null: refuse every open)
 * @param sessions  where an acceptor registers the session of a new stream (null on a connector)
 * @param address   this node's address; with security on, the identity's address replaces it
 * @param counters  node-wide counters
 * @param security  the secure handshake and encryption (null: the plaintext HELLO/WELCOME setup)
 */
public record LocalNode(StreamConfig config, StreamClock clock, ChannelRegistry services, Sessions sessions,
                        NodeAddress address, StreamCounters counters, StreamSecurity security) {
    public LocalNode {
        if (config == null || clock == null || counters == null) {
            throw new IllegalArgumentException("a node needs its config, clock and counters");
        }
        if (security != null) {
            address = security.handshake().identity().address();
        }
        if (address == null) {
            address = NodeAddress.NONE;
        }
    }

    /** A plaintext node (security disabled). */
    public LocalNode(StreamConfig config, StreamClock clock, ChannelRegistry services, Sessions sessions,
                     NodeAddress address, StreamCounters counters) {
        this(config, clock, services, sessions, address, counters, null);
    }
}
