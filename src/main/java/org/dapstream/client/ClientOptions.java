package org.dapstream.client;

import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.StreamConfig;

import java.security.SecureRandom;
import java.time.Duration;

/**
 * Options of a {@link StreamClient}.
 *
 * @param stream         limits and timers of each stream
 * @param node           the node address this client claims in a plaintext HELLO (a secure client's address is its identity's)
 * @param connectTimeout TCP connect timeout
 * @param eventLoops     event loops of the client's own Vert.x instance (ignored when one is given)
 * @param security       the secure handshake (identity, suites, which servers to trust); null: plaintext streams,
 *                       only for servers that disable security
 */
public record ClientOptions(StreamConfig stream, NodeAddress node, Duration connectTimeout, int eventLoops,
                            HandshakeSettings security) {
    /** 5 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** One loop: a client usually drives few streams, and a stream lives on one loop anyway. */
    public static final int DEFAULT_EVENT_LOOPS = 1;

    public ClientOptions {
        if (eventLoops < 1) {
            throw new IllegalArgumentException("eventLoops must be >= 1, got " + eventLoops);
        }
    }

    /**
     * Secure by default: a fresh ML-DSA-65 identity for this client (it signs only when a
     * server requires client authentication), AES-256-GCM preferred, any server identity
     * accepted (dial with an expected address, or set a policy, to pin the server).
     */
    public static ClientOptions defaults() {
        SecureRandom random = new SecureRandom();
        return new ClientOptions(StreamConfig.defaults(), NodeAddress.NONE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EVENT_LOOPS,
                HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random), random));
    }

    /**
     * No secure handshake: for servers with security disabled (benchmarks of the bare engine,
     * debugging). Built directly rather than from {@link #defaults()}, which would first generate
     * an ML-DSA identity (and seed a SecureRandom) only to drop it.
     */
    public static ClientOptions plaintext() {
        return new ClientOptions(StreamConfig.defaults(), NodeAddress.NONE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EVENT_LOOPS, null);
    }

    public ClientOptions withStream(StreamConfig config) {
        return new ClientOptions(config, node, connectTimeout, eventLoops, security);
    }

    public ClientOptions withNode(NodeAddress address) {
        return new ClientOptions(stream, address, connectTimeout, eventLoops, security);
    }

    public ClientOptions withEventLoops(int loops) {
        return new ClientOptions(stream, node, connectTimeout, loops, security);
    }

    public ClientOptions withSecurity(HandshakeSettings settings) {
        return new ClientOptions(stream, node, connectTimeout, eventLoops, settings);
    }

    /**
     * Offers acknowledgements (PROTOCOL.md section 28): once the node agrees, each side keeps
     * what it wrote until the other acknowledges it, within {@link StreamConfig#sessionStoreBytes()}.
     * Off by default. Needs a secure stream.
     */
    public ClientOptions withAcknowledgements(boolean offer) {
        if (security == null) {
            throw new IllegalStateException("acknowledgements are agreed in the secure handshake; a plaintext client has none");
        }
        int features = offer ? security.features() | Features.ACKS : security.features() & ~Features.ACKS;
        return withSecurity(security.withFeatures(features));
    }

    /** This client authenticates as {@code identity} when a server asks. */
    public ClientOptions withIdentity(NodeIdentity identity) {
        HandshakeSettings base = security != null ? security : HandshakeSettings.defaults(identity, new SecureRandom());
        return withSecurity(new HandshakeSettings(identity, base.endorsement(), base.suites(), base.features(),
                base.signatureAlgorithms(), base.peerPolicy(), base.expectedPeer(), base.random()));
    }
}
