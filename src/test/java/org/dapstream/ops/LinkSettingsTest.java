package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.Endorsement;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;

/** The link handshake from configuration: endorsed by the cluster key, admitting only endorsed peers; each mistake named. */
class LinkSettingsTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> SUITES = List.of("aes-256-gcm");

    @Test
    void theNodeIdentityIsEndorsedAndOnlyEndorsedPeersAreAdmitted(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("cluster.pem");
        NodeIdentity clusterKey = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
        IdentityFile.write(clusterKey, keyFile);
        NodeIdentity node = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
        HandshakeSettings s = NodeSecurity.linkSettings(true, Optional.of(keyFile.toString()), SUITES, node, RANDOM);
        AuthPolicy.ClusterSigned policy = assertInstanceOf(AuthPolicy.ClusterSigned.class, s.peerPolicy());
        assertEquals(clusterKey.algorithm(), policy.clusterAlgorithm());
        Endorsement e = Endorsement.decode(s.endorsement());
        assertEquals(Endorsement.Verdict.VALID, e.check(clusterKey.algorithm(), clusterKey.publicKey(), node.algorithm(), node.publicKey(),
                System.currentTimeMillis() / 1000));
    }

    @Test
    void withoutTheClusterKeyStartUpSaysWhichKeyToSet() {
        NodeIdentity node = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeSecurity.linkSettings(true, Optional.empty(), SUITES, node, RANDOM));
        assertTrue(e.getMessage().contains("dap.stream.security.cluster.key-file"), e.getMessage());
        assertTrue(e.getMessage().contains("dap.stream.cluster.members"), "and how to run alone instead: " + e.getMessage());
    }

    @Test
    void linksAreNeverPlaintext() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeSecurity.linkSettings(false, Optional.of("x.pem"), SUITES, null, RANDOM));
        assertTrue(e.getMessage().contains("dap.stream.security.enabled=false"), e.getMessage());
    }

    @Test
    void anUnreadableKeyFileIsNamed(@TempDir Path dir) {
        NodeIdentity node = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
        String missing = dir.resolve("nope.pem").toString();
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> NodeSecurity.linkSettings(true, Optional.of(missing), SUITES, node, RANDOM));
        assertTrue(e.getMessage().startsWith("dap.stream.security.cluster.key-file=" + missing), e.getMessage());
    }
}
