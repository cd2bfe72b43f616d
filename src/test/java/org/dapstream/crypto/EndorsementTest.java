package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

class EndorsementTest {
    private static final long NOW = 1_760_000_000L;

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void validEndorsementSurvivesEncoding(SignatureAlgorithm clusterAlg) {
        try (NodeIdentity cluster = NodeIdentity.generate(clusterAlg, new SecureRandom());
             NodeIdentity node = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom())) {
            Endorsement e = Endorsement.issue(cluster, node.algorithm(), node.publicKey(), NOW + 3600);
            byte[] wire = e.encode();
            assertEquals(1 + 8 + clusterAlg.signatureSize(), wire.length);
            assertEquals(clusterAlg.wireId(), wire[0]);
            assertEquals(NOW + 3600, ByteBuffer.wrap(wire, 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
            Endorsement back = Endorsement.decode(wire);
            assertArrayEquals(wire, back.encode());
            assertEquals(Endorsement.Verdict.VALID,
                    back.check(clusterAlg, cluster.publicKey(), node.algorithm(), node.publicKey(), NOW));
        }
    }

    /** The signed bytes are exactly label || 0x00 || node alg || node key || expiry LE: checked by verifying them directly. */
    @Test
    void signatureCoversTheDocumentedMessage() {
        try (NodeIdentity cluster = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom())) {
            byte[] nodeKey = new byte[32];
            nodeKey[0] = 9;
            byte[] wire = Endorsement.issue(cluster, SignatureAlgorithm.ED25519, nodeKey, 0x0102030405060708L).encode();
            ByteBuffer m = ByteBuffer.allocate(25 + 1 + 1 + 32 + 8).order(ByteOrder.LITTLE_ENDIAN);
            m.put("dap-stream v1 endorsement".getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) 0x02).put(nodeKey)
                    .putLong(0x0102030405060708L);
            byte[] sig = java.util.Arrays.copyOfRange(wire, 9, wire.length);
            assertTrue(Signatures.verify(SignatureAlgorithm.ED25519, cluster.publicKey(), m.array(), sig));
        }
    }

    @Test
    void expiredWrongKeyWrongNodeAndWrongAlgorithmAreRefused() {
        try (NodeIdentity cluster = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom());
             NodeIdentity impostor = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom());
             NodeIdentity node = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom());
             NodeIdentity other = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom())) {
            Endorsement e = Endorsement.issue(cluster, node.algorithm(), node.publicKey(), NOW);
            assertEquals(Endorsement.Verdict.VALID, e.check(SignatureAlgorithm.ED25519, cluster.publicKey(), node.algorithm(), node.publicKey(), NOW - 1));
            assertEquals(Endorsement.Verdict.EXPIRED, e.check(SignatureAlgorithm.ED25519, cluster.publicKey(), node.algorithm(), node.publicKey(), NOW));
            assertEquals(Endorsement.Verdict.BAD_SIGNATURE, e.check(SignatureAlgorithm.ED25519, impostor.publicKey(), node.algorithm(), node.publicKey(), NOW - 1));
            assertEquals(Endorsement.Verdict.BAD_SIGNATURE, e.check(SignatureAlgorithm.ED25519, cluster.publicKey(), other.algorithm(), other.publicKey(), NOW - 1));
            assertEquals(Endorsement.Verdict.WRONG_ALGORITHM, e.check(SignatureAlgorithm.ML_DSA_65, new byte[1952], node.algorithm(), node.publicKey(), NOW - 1));
            // Pushing the expiry out breaks the signature.
            byte[] wire = e.encode();
            wire[8] = 0x7F;
            assertEquals(Endorsement.Verdict.BAD_SIGNATURE,
                    Endorsement.decode(wire).check(SignatureAlgorithm.ED25519, cluster.publicKey(), node.algorithm(), node.publicKey(), NOW));
            Endorsement forever = Endorsement.issue(cluster, node.algorithm(), node.publicKey(), Endorsement.NO_EXPIRY);
            assertEquals(Endorsement.Verdict.VALID,
                    forever.check(SignatureAlgorithm.ED25519, cluster.publicKey(), node.algorithm(), node.publicKey(), Long.MAX_VALUE));
        }
    }

    @Test
    void malformedEncodingsAreRefusedWithTheReason() {
        assertEquals("endorsement is 3 bytes, shorter than its 9-byte prefix",
                assertThrows(IllegalArgumentException.class, () -> Endorsement.decode(new byte[3])).getMessage());
        byte[] unknown = new byte[9 + 64];
        unknown[0] = 0x7E;
        assertEquals("endorsement names unknown signature algorithm 0x7e",
                assertThrows(IllegalArgumentException.class, () -> Endorsement.decode(unknown)).getMessage());
        byte[] shortSig = new byte[9 + 63];
        shortSig[0] = 0x02;
        assertEquals("endorsement by ed25519 must be 73 bytes, got 72",
                assertThrows(IllegalArgumentException.class, () -> Endorsement.decode(shortSig)).getMessage());
        byte[] negative = new byte[9 + 64];
        negative[0] = 0x02;
        negative[8] = (byte) 0x80;
        assertThrows(IllegalArgumentException.class, () -> Endorsement.decode(negative));
    }

    @Test
    void constantTimeEqualsAndWipe() {
        assertTrue(ConstantTime.equals(new byte[] {1, 2}, new byte[] {1, 2}));
        assertTrue(!ConstantTime.equals(new byte[] {1, 2}, new byte[] {1, 3}));
        assertTrue(!ConstantTime.equals(new byte[] {1, 2}, new byte[] {1, 2, 3}));
        byte[] a = {1, 2, 3};
        byte[] b = {4};
        Secrets.wipe(a, null, b);
        assertArrayEquals(new byte[3], a);
        assertArrayEquals(new byte[1], b);
    }
}
