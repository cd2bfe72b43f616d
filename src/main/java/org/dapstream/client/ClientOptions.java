package org.dapstream.client;

import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.StreamConfig;

import java.time.Duration;

/**
 * Options of a {@link StreamClient}.
 *
 * @param stream         limits and timers of each stream
 * @param node           the node address this client claims in HELLO
 * @param connectTimeout TCP connect timeout
 * @param eventLoops     event loops of the client's own Vert.x instance (ignored when one is given)
 */
public record ClientOptions(StreamConfig stream, NodeAddress node, Duration connectTimeout, int eventLoops) {
    /** 5 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** One loop: a client usually drives few streams, and a stream lives on one loop anyway. */
    public static final int DEFAULT_EVENT_LOOPS = 1;

    public ClientOptions {
        if (eventLoops < 1) {
            throw new IllegalArgumentException("eventLoops must be >= 1, got " + eventLoops);
        }
    }

    public static ClientOptions defaults() {
        return new ClientOptions(StreamConfig.defaults(), NodeAddress.NONE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EVENT_LOOPS);
    }

    public ClientOptions withStream(StreamConfig config) {
        return new ClientOptions(config, node, connectTimeout, eventLoops);
    }

    public ClientOptions withNode(NodeAddress address) {
        return new ClientOptions(stream, address, connectTimeout, eventLoops);
    }

    public ClientOptions withEventLoops(int loops) {
        return new ClientOptions(stream, node, connectTimeout, loops);
    }
}
