package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.NodeAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

class NodeIdentityTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] MESSAGE = "dap-stream transcript".getBytes(StandardCharsets.UTF_8);

    /** RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72). */
    @Test
    void ed25519MatchesRfc8032Vectors() {
        String[][] vectors = {
                {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
                {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        };
        for (String[] v : vectors) {
            try (NodeIdentity id = NodeIdentity.ofEd25519(HEX.parseHex(v[0]), new SecureRandom())) {
                assertEquals(v[1], HEX.formatHex(id.publicKey()));
                byte[] sig = id.sign(HEX.parseHex(v[2]));
                assertEquals(v[3], HEX.formatHex(sig));
                assertTrue(Signatures.verify(SignatureAlgorithm.ED25519, HEX.parseHex(v[1]), HEX.parseHex(v[2]), HEX.parseHex(v[3])));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void signAndVerifyRoundTrip(SignatureAlgorithm alg) {
        try (NodeIdentity id = NodeIdentity.generate(alg, new SecureRandom())) {
            assertEquals(alg, id.algorithm());
            assertEquals(alg.publicKeySize(), id.publicKey().length);
            byte[] sig = id.sign(MESSAGE);
            assertEquals(alg.signatureSize(), sig.length);
            assertTrue(Signatures.verify(alg, id.publicKey(), MESSAGE, sig));
            byte[] other = MESSAGE.clone();
            other[0] ^= 1;
            assertFalse(Signatures.verify(alg, id.publicKey(), other, sig));
            for (int i : new int[] {0, sig.length / 2, sig.length - 1}) {
                byte[] bad = sig.clone();
                bad[i] ^= 1;
                assertFalse(Signatures.verify(alg, id.publicKey(), MESSAGE, bad), "signature byte " + i);
            }
            try (NodeIdentity stranger = NodeIdentity.generate(alg, new SecureRandom())) {
                assertFalse(Signatures.verify(alg, stranger.publicKey(), MESSAGE, sig));
            }
        }
    }

    /** ML-DSA signing is hedged: two signatures of one message differ, both verify. */
    @Test
    void mlDsaSignaturesAreRandomised() {
        try (NodeIdentity id = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, new SecureRandom())) {
            byte[] a = id.sign(MESSAGE);
            byte[] b = id.sign(MESSAGE);
            assertNotEquals(HEX.formatHex(a), HEX.formatHex(b));
            assertTrue(Signatures.verify(SignatureAlgorithm.ML_DSA_65, id.publicKey(), MESSAGE, b));
        }
    }

    /**
     * Cross-check against a second implementation: on JDK 24+ the JDK's own ML-DSA (SunJCE
     * "ML-DSA-65", reached by name so this compiles for release 17) must accept our signature.
     * Skipped on JDK 17, which has no ML-DSA.
     */
    @Test
    void mlDsaSignatureVerifiesWithTheJdkWhereItHasMlDsa() throws Exception {
        java.security.KeyFactory kf;
        try {
            kf = java.security.KeyFactory.getInstance("ML-DSA");
        } catch (java.security.NoSuchAlgorithmException e) {
            org.junit.jupiter.api.Assumptions.abort("this JDK (" + Runtime.version() + ") has no ML-DSA");
            return;
        }
        try (NodeIdentity id = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, new SecureRandom())) {
            // SubjectPublicKeyInfo for ML-DSA-65 (RFC 9881): a fixed 22-byte prefix, then the raw key.
            byte[] spki = concat(HEX.parseHex("308207b2300b0609608648016503040312038207a100"), id.publicKey());
            java.security.PublicKey pub = kf.generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
            java.security.Signature jdk = java.security.Signature.getInstance("ML-DSA-65");
            jdk.initVerify(pub);
            jdk.update(MESSAGE);
            assertTrue(jdk.verify(id.sign(MESSAGE)));
        }
    }

    @Test
    void verifyReturnsFalseOnMalformedInputInsteadOfThrowing() {
        for (SignatureAlgorithm alg : SignatureAlgorithm.values()) {
            byte[] pk = new byte[alg.publicKeySize()];
            byte[] sig = new byte[alg.signatureSize()];
            assertFalse(Signatures.verify(alg, pk, MESSAGE, sig), alg + " all-zero key");
            assertFalse(Signatures.verify(alg, new byte[alg.publicKeySize() - 1], MESSAGE, sig));
            assertFalse(Signatures.verify(alg, pk, MESSAGE, new byte[alg.signatureSize() + 1]));
            assertFalse(Signatures.verify(alg, null, MESSAGE, sig));
            assertFalse(Signatures.verify(alg, pk, null, sig));
            assertFalse(Signatures.verify(alg, pk, MESSAGE, null));
            byte[] ff = new byte[alg.publicKeySize()];
            java.util.Arrays.fill(ff, (byte) 0xFF);
            assertFalse(Signatures.verify(alg, ff, MESSAGE, sig), alg + " all-FF key");
        }
        assertFalse(Signatures.verify(null, new byte[32], MESSAGE, new byte[64]));
    }

    @Test
    void addressIsTheFirstEightBytesOfTheHashOfWireIdAndKey() throws Exception {
        byte[] pk = HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((byte) 0x02);
        byte[] h = sha.digest(pk);
        long expected = java.nio.ByteBuffer.wrap(h).getLong();
        assertEquals(new NodeAddress(expected), Signatures.addressOf(SignatureAlgorithm.ED25519, pk));
        try (NodeIdentity id = NodeIdentity.ofEd25519(HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), new SecureRandom())) {
            assertEquals(new NodeAddress(expected), id.address());
        }
        assertThrows(IllegalArgumentException.class, () -> Signatures.addressOf(SignatureAlgorithm.ML_DSA_65, pk));
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void closeWipesAndStopsSigningAndToStringShowsNoKey(SignatureAlgorithm alg) {
        NodeIdentity id = NodeIdentity.generate(alg, new SecureRandom());
        String text = id.toString();
        assertTrue(text.contains(id.address().toString()), text);
        assertTrue(text.length() < 80, "toString carries no key material: " + text);
        assertFalse(text.toLowerCase().contains(HEX.formatHex(id.publicKey(), 0, 4)), text);
        id.close();
        assertTrue(id.isClosed());
        assertThrows(IllegalStateException.class, () -> id.sign(MESSAGE));
    }

    @Test
    void ed25519CloseZeroesTheSecretArray() {
        byte[] secret = HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        NodeIdentity id = NodeIdentity.ofEd25519(secret, new SecureRandom());
        id.close();
        assertArrayEquals(new byte[32], secret);
    }

    @Test
    void algorithmNamesAndWireIds() {
        assertEquals(SignatureAlgorithm.ML_DSA_65, SignatureAlgorithm.parse("ml-dsa-65"));
        assertEquals(SignatureAlgorithm.ML_DSA_65, SignatureAlgorithm.parse("ML_DSA_65"));
        assertEquals(SignatureAlgorithm.ED25519, SignatureAlgorithm.parse("Ed25519"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SignatureAlgorithm.parse("rsa"));
        assertEquals("unknown signature algorithm 'rsa': expected ml-dsa-65 or ed25519", e.getMessage());
        assertEquals(SignatureAlgorithm.ML_DSA_65, SignatureAlgorithm.fromWireId(0x01));
        assertEquals(SignatureAlgorithm.ED25519, SignatureAlgorithm.fromWireId(0x02));
        assertNull(SignatureAlgorithm.fromWireId(0x00));
        assertNull(SignatureAlgorithm.fromWireId(0x03));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
