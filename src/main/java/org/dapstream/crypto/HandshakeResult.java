package org.dapstream.crypto;

import org.dapstream.protocol.NodeAddress;

/**
 * A completed handshake.
 *
 * @param secrets        the session's traffic secrets (the stream owns and wipes them)
 * @param peer           the identity the peer proved, null when it did not authenticate
 * @param node           the peer's node address: proven when {@code peer} is set, else only claimed
 * @param suite          the AEAD suite both sides use
 * @param features       the optional features agreed
 * @param sessionId      the acceptor's session id
 * @param keepAliveTimeoutMillis the acceptor's keepalive timeout (connectors ping often enough for it)
 */
public record HandshakeResult(SessionSecrets secrets, PeerIdentity peer, NodeAddress node, AeadSuite suite, int features,
                              int sessionId, int keepAliveTimeoutMillis) {
    /** The seed's {@code authorized}: the peer proved its identity and the policy allowed it. */
    public boolean authenticated() {
        return peer != null;
    }
}
