package org.dapstream.transport;

import org.dapstream.admission.HandshakeGate;
import org.dapstream.admission.StreamCaps;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamSecurity;

/**
 * Where and how a {@link StreamServer} listens.
 *
 * @param host      address to bind; {@code 0.0.0.0} for all
 * @param port      TCP port; 0 picks a free one (see {@link StreamServer#port()})
 * @param instances acceptor instances, each on its own event loop; Vert.x spreads
 *                  connections across them. 0 means one per available processor
 * @param node      this node's address, sent in WELCOME (a secure node's address is its identity's)
 * @param security  the secure handshake every stream must complete; null disables security (plaintext HELLO)
 * @param handshakeGate admission to setup: caps on streams in setup at once (in all, per remote address, per
 *                      prefix), the first-frame deadline and eviction; null: {@link HandshakeGate#defaults()}
 * @param streamCaps    caps on connections open at once, in all and per remote address; null: {@link StreamCaps#defaults()}
 */
public record StreamServerOptions(String host, int port, int instances, StreamConfig stream, NodeAddress node,
                                  StreamSecurity security, HandshakeGate handshakeGate, StreamCaps streamCaps) {
    /** The stream port: 8079 (HTTP stays on 8080). */
    public static final int DEFAULT_PORT = 8079;
    public static final String DEFAULT_HOST = "0.0.0.0";

    public StreamServerOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (instances < 0) {
            throw new IllegalArgumentException("instances must be >= 0 (0 = one per processor), got " + instances);
        }
        if (handshakeGate == null) {
            handshakeGate = HandshakeGate.defaults();
        }
        if (streamCaps == null) {
            streamCaps = StreamCaps.defaults();
        }
        if (security != null) {
            node = security.handshake().identity().address();
        }
    }

    /** Default connection caps. */
    public StreamServerOptions(String host, int port, int instances, StreamConfig stream, NodeAddress node,
                               StreamSecurity security, HandshakeGate handshakeGate) {
        this(host, port, instances, stream, node, security, handshakeGate, null);
    }

    /** A plaintext server (security disabled), default handshake and connection caps. */
    public StreamServerOptions(String host, int port, int instances, StreamConfig stream, NodeAddress node) {
        this(host, port, instances, stream, node, null, null, null);
    }

    /** Instances after resolving 0 to the processor count. */
    public int effectiveInstances() {
        return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
    }
}
