package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;

import java.util.HashSet;
import java.util.Set;

/**
 * The seed's {@code dap_stream_authenticate_node}: which proven identities may be on the
 * other end of a stream. A peer first proves possession of its key (transcript signature);
 * the policy then decides whether that key's node is allowed.
 */
public sealed interface AuthPolicy {
    /** Anyone: peers need not prove an identity (an acceptor does not ask connectors to sign). */
    static AuthPolicy open() {
        return Open.INSTANCE;
    }

    /** Only the listed node addresses (each the hash of a public key, so listing one is listing the key). */
    static AuthPolicy allowList(Set<NodeAddress> addresses) {
        return new AllowList(Set.copyOf(addresses));
    }

    /** Only identities the cluster key endorsed (replicas whose keys are generated at start). */
    static AuthPolicy clusterSigned(SignatureAlgorithm clusterAlgorithm, byte[] clusterPublicKey) {
        return new ClusterSigned(clusterAlgorithm, clusterPublicKey.clone());
    }

    /** Does the policy need the peer to prove an identity at all? */
    boolean requiresIdentity();

    /**
     * Checks a proven identity (null when the peer did not authenticate).
     *
     * @throws HandshakeException AUTH_REQUIRED or AUTH_REFUSED, saying why
     */
    void check(PeerIdentity peer, long nowEpochSeconds) throws HandshakeException;

    /** The policy's name for logs and the admin API. */
    String describe();

    final class Open implements AuthPolicy {
        private static final Open INSTANCE = new Open();

        private Open() {
        }

        @Override
        public boolean requiresIdentity() {
            return false;
        }

        @Override
        public void check(PeerIdentity peer, long now) {
            // anyone
        }

        @Override
        public String describe() {
            return "open";
        }
    }

    record AllowList(Set<NodeAddress> addresses) implements AuthPolicy {
        @Override
        public boolean requiresIdentity() {
            return true;
        }

        @Override
        public void check(PeerIdentity peer, long now) throws HandshakeException {
            if (peer == null) {
                throw new HandshakeException(ErrorCode.AUTH_REQUIRED, "this node admits only allow-listed nodes; authenticate");
            }
            if (!addresses.contains(peer.address())) {
                throw new HandshakeException(ErrorCode.AUTH_REFUSED, "node " + peer.address() + " is not on the allow-list");
            }
        }

        @Override
        public String describe() {
            Set<String> shown = new HashSet<>();
            addresses.forEach(a -> shown.add(a.toString()));
            return "allow-list " + shown;
        }
    }

    record ClusterSigned(SignatureAlgorithm clusterAlgorithm, byte[] clusterPublicKey) implements AuthPolicy {
        @Override
        public boolean requiresIdentity() {
            return true;
        }

        @Override
        public void check(PeerIdentity peer, long now) throws HandshakeException {
            if (peer == null) {
                throw new HandshakeException(ErrorCode.AUTH_REQUIRED, "this node admits only cluster members; authenticate");
            }
            if (peer.endorsement().length == 0) {
                throw new HandshakeException(ErrorCode.AUTH_REFUSED, "node " + peer.address() + " presented no cluster endorsement");
            }
            Endorsement endorsement;
            try {
                endorsement = Endorsement.decode(peer.endorsement());
            } catch (IllegalArgumentException e) {
                throw new HandshakeException(ErrorCode.AUTH_REFUSED, "node " + peer.address() + ": " + e.getMessage());
            }
            Endorsement.Verdict verdict = endorsement.check(clusterAlgorithm, clusterPublicKey, peer.algorithm(), peer.publicKey(), now);
            if (verdict != Endorsement.Verdict.VALID) {
                throw new HandshakeException(ErrorCode.AUTH_REFUSED, "node " + peer.address() + ": cluster endorsement "
                        + verdict.name().toLowerCase().replace('_', ' '));
            }
        }

        @Override
        public String describe() {
            return "cluster-signed by " + Signatures.addressOf(clusterAlgorithm, clusterPublicKey);
        }
    }
}
