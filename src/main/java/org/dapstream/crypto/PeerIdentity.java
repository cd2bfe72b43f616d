package org.dapstream.crypto;

import org.dapstream.protocol.NodeAddress;

/**
 * An identity a peer proved in the handshake: it signed the transcript with the private
 * key of {@code publicKey}. {@code endorsement} is the cluster's signature over it, or empty.
 */
public record PeerIdentity(SignatureAlgorithm algorithm, byte[] publicKey, byte[] endorsement) {
    public NodeAddress address() {
        return Signatures.addressOf(algorithm, publicKey);
    }

    @Override
    public String toString() {
        return address() + " (" + algorithm.configName() + ")";
    }
}
