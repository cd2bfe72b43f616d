package org.dapstream.crypto;

import org.dapstream.protocol.NodeAddress;

import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one node brings to its secure handshakes.
 *
 * @param identity            this node's long-term signing key (an acceptor always signs; a connector signs when asked)
 * @param endorsement         the cluster's endorsement of {@code identity}, empty when none
 * @param suites              AEAD suites this node accepts, most preferred first (an acceptor picks its first one the connector offers)
 * @param features            optional features this node offers / accepts (bit mask; {@code Features}: 0x0001 acknowledgements)
 * @param signatureAlgorithms identity algorithms this node accepts from its peer
 * @param peerPolicy          who may be on the other end: for an acceptor, which connectors (anything but
 *                            {@link AuthPolicy#open()} makes it require client authentication); for a connector, which servers
 * @param expectedPeer        a connector dialling a known node: the address the server must prove, or null
 * @param random              where ephemeral keys and randoms come from
 */
public record HandshakeSettings(NodeIdentity identity, byte[] endorsement, List<AeadSuite> suites, int features,
                                Set<SignatureAlgorithm> signatureAlgorithms, AuthPolicy peerPolicy, NodeAddress expectedPeer,
                                SecureRandom random) {
    public HandshakeSettings {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(peerPolicy, "peerPolicy");
        Objects.requireNonNull(random, "random");
        endorsement = endorsement == null ? new byte[0] : endorsement;
        if (suites == null || suites.isEmpty()) {
            throw new IllegalArgumentException("at least one AEAD suite");
        }
        suites = List.copyOf(suites);
        if (signatureAlgorithms == null || signatureAlgorithms.isEmpty()) {
            throw new IllegalArgumentException("at least one signature algorithm");
        }
        signatureAlgorithms = Set.copyOf(signatureAlgorithms);
    }

    /** AES-256-GCM then ChaCha20-Poly1305, both identity algorithms, open policy. */
    public static HandshakeSettings defaults(NodeIdentity identity, SecureRandom random) {
        return new HandshakeSettings(identity, null, List.of(AeadSuite.AES_256_GCM, AeadSuite.CHACHA20_POLY1305), 0,
                EnumSet.allOf(SignatureAlgorithm.class), AuthPolicy.open(), null, random);
    }

    public HandshakeSettings withPeerPolicy(AuthPolicy policy) {
        return new HandshakeSettings(identity, endorsement, suites, features, signatureAlgorithms, policy, expectedPeer, random);
    }

    public HandshakeSettings withExpectedPeer(NodeAddress expected) {
        return new HandshakeSettings(identity, endorsement, suites, features, signatureAlgorithms, peerPolicy, expected, random);
    }

    /** The optional features offered (connector) or accepted (acceptor), see {@code Features}. */
    public HandshakeSettings withFeatures(int mask) {
        return new HandshakeSettings(identity, endorsement, suites, mask, signatureAlgorithms, peerPolicy, expectedPeer, random);
    }

    public HandshakeSettings withSuites(List<AeadSuite> preferred) {
        return new HandshakeSettings(identity, endorsement, preferred, features, signatureAlgorithms, peerPolicy, expectedPeer, random);
    }

    public HandshakeSettings withEndorsement(byte[] own) {
        return new HandshakeSettings(identity, own, suites, features, signatureAlgorithms, peerPolicy, expectedPeer, random);
    }

    public HandshakeSettings withSignatureAlgorithms(Set<SignatureAlgorithm> accepted) {
        return new HandshakeSettings(identity, endorsement, suites, features, accepted, peerPolicy, expectedPeer, random);
    }

    int suiteMask() {
        int mask = 0;
        for (AeadSuite s : suites) {
            mask |= s.wireId();
        }
        return mask;
    }

    int signatureAlgorithmMask() {
        int mask = 0;
        for (SignatureAlgorithm a : signatureAlgorithms) {
            mask |= a.wireId();
        }
        return mask;
    }
}
