package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Arrays;

class MlDsaEngineTest {
    private static final byte[] MESSAGE = "dap-stream transcript".getBytes(StandardCharsets.UTF_8);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The JDK engine, or the test is skipped: JDK 17 (the CI's) has no ML-DSA-65, that needs JDK 24+. */
    private static MlDsaEngine jdkEngineOrSkip() {
        try {
            return JdkMlDsaEngine.probe();
        } catch (GeneralSecurityException e) {
            abort("skipped on this JDK (" + Runtime.version() + "): no usable JDK ML-DSA-65 (JDK 24+ only): " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }

    private static MLDSAPrivateKeyParameters newKey() {
        MLDSAKeyPairGenerator g = new MLDSAKeyPairGenerator();
        g.init(new MLDSAKeyGenerationParameters(RANDOM, MLDSAParameters.ml_dsa_65));
        return (MLDSAPrivateKeyParameters) g.generateKeyPair().getPrivate();
    }

    private static byte[] flipped(byte[] b, int i) {
        byte[] c = b.clone();
        c[i] ^= 1;
        return c;
    }

    @Test
    void jvmUsesTheJdkEngineExactlyWhenTheJdkHasMlDsa65() {
        boolean jdkHasMlDsa;
        try {
            Signature.getInstance("ML-DSA-65");
            jdkHasMlDsa = true;
        } catch (GeneralSecurityException e) {
            jdkHasMlDsa = false;
        }
        MlDsaEngine current = MlDsaEngine.current();
        if (jdkHasMlDsa && System.getProperty(MlDsaEngine.ENGINE_PROPERTY) == null) {
            assertInstanceOf(JdkMlDsaEngine.class, current, current.toString());
        } else if (!jdkHasMlDsa) {
            assertSame(MlDsaEngine.bouncyCastle(), current);
        }
        assertSame(current, MlDsaEngine.current(), "decided once per JVM");
    }

    @Test
    void engineOverrideForcesBouncyCastleAndUnknownValuesFallBackToAuto() {
        assertSame(MlDsaEngine.bouncyCastle(), MlDsaEngine.choose("bc"));
        assertSame(MlDsaEngine.bouncyCastle(), MlDsaEngine.choose(" BC "));
        assertEquals(MlDsaEngine.choose("auto").getClass(), MlDsaEngine.choose("no-such-engine").getClass());
    }

    /** Bouncy Castle alone (every JDK): hedged signatures that verify and tampering that does not. */
    @Test
    void bouncyCastleEngineSignsHedgedAndRejectsTampering() {
        MlDsaEngine bc = MlDsaEngine.bouncyCastle();
        MLDSAPrivateKeyParameters key = newKey();
        try (MlDsaSigningKey signer = bc.signingKey(key)) {
            byte[] a = signer.sign(MESSAGE, RANDOM);
            byte[] b = signer.sign(MESSAGE, RANDOM);
            assertFalse(Arrays.equals(a, b), "hedged signing");
            assertTrue(bc.verify(key.getPublicKey(), MESSAGE, a));
            assertFalse(bc.verify(key.getPublicKey(), MESSAGE, flipped(a, 7)));
            assertFalse(bc.verify(key.getPublicKey(), flipped(MESSAGE, 0), a));
        }
    }

    @Test
    void spkiPrefixIsBouncyCastlesEncodingOfAnMlDsa65PublicKey() throws Exception {
        byte[] pk = newKey().getPublicKey();
        byte[] bcSpki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(NISTObjectIdentifiers.id_ml_dsa_65), pk).getEncoded();
        assertArrayEquals(Arrays.copyOf(bcSpki, JdkMlDsaEngine.SPKI_PREFIX.length), JdkMlDsaEngine.SPKI_PREFIX);
        assertEquals(JdkMlDsaEngine.SPKI_PREFIX.length + pk.length, bcSpki.length);
    }

    /** JDK 24+ only (skipped on JDK 17): each engine verifies the other's signatures and rejects tampered ones. */
    @Test
    void jdkAndBouncyCastleEnginesCrossVerifyOnJdk24Plus() {
        MlDsaEngine jdk = jdkEngineOrSkip();
        MlDsaEngine bc = MlDsaEngine.bouncyCastle();
        for (int round = 0; round < 3; round++) {
            MLDSAPrivateKeyParameters key = newKey();
            byte[] pk = key.getPublicKey();
            byte[] message = Arrays.copyOf(MESSAGE, MESSAGE.length + round * 97);
            try (MlDsaSigningKey byJdk = jdk.signingKey(key); MlDsaSigningKey byBc = bc.signingKey(key)) {
                byte[] jdkSig = byJdk.sign(message, RANDOM);
                byte[] bcSig = byBc.sign(message, RANDOM);
                assertEquals(SignatureAlgorithm.ML_DSA_65.signatureSize(), jdkSig.length);
                assertTrue(bc.verify(pk, message, jdkSig), "Bouncy Castle verifies the JDK's signature");
                assertTrue(jdk.verify(pk, message, bcSig), "the JDK verifies Bouncy Castle's signature");
                assertTrue(jdk.verify(pk, message, jdkSig));
                assertNotEquals(Arrays.toString(jdkSig), Arrays.toString(byJdk.sign(message, RANDOM)), "JDK signing is hedged");
                for (int i : new int[] {0, jdkSig.length / 2, jdkSig.length - 1}) {
                    assertFalse(bc.verify(pk, message, flipped(jdkSig, i)), "BC: tampered JDK signature, byte " + i);
                    assertFalse(jdk.verify(pk, message, flipped(bcSig, i)), "JDK: tampered BC signature, byte " + i);
                }
                assertFalse(jdk.verify(pk, flipped(message, 0), bcSig), "JDK: other message");
                assertFalse(jdk.verify(flipped(pk, 100), message, bcSig), "JDK: other key");
                assertFalse(jdk.verify(new byte[pk.length], message, bcSig), "JDK: all-zero key");
            }
        }
    }

    /** JDK 24+ only (skipped on JDK 17): an identity loaded from a seed-form PEM file signs through the JDK, interoperably. */
    @Test
    void identityFromFileSignsWithTheJdkEngineOnJdk24Plus(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        MlDsaEngine jdk = jdkEngineOrSkip();
        Path file = dir.resolve("id.pem");
        try (NodeIdentity written = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, RANDOM)) {
            IdentityFile.write(written, file);
        }
        assertTrue(Files.size(file) < 200, "seed form on disk");
        try (NodeIdentity id = IdentityFile.load(file)) {
            MLDSAPrivateKeyParameters key = (MLDSAPrivateKeyParameters) id.privateKey();
            byte[] sig;
            try (MlDsaSigningKey signer = jdk.signingKey(key)) {
                sig = signer.sign(MESSAGE, RANDOM);
            }
            assertTrue(MlDsaEngine.bouncyCastle().verify(id.publicKey(), MESSAGE, sig));
            assertTrue(Signatures.verify(SignatureAlgorithm.ML_DSA_65, id.publicKey(), MESSAGE, sig));
            assertTrue(MlDsaEngine.bouncyCastle().verify(id.publicKey(), MESSAGE, id.sign(MESSAGE)));
        }
    }

    /** JDK 24+ only (skipped on JDK 17): close destroys the JDK's copy of the key and signing stops. */
    @Test
    void closingAJdkSigningKeyStopsSigningOnJdk24Plus() {
        MlDsaEngine jdk = jdkEngineOrSkip();
        MlDsaSigningKey signer = jdk.signingKey(newKey());
        signer.sign(MESSAGE, RANDOM);
        signer.close();
        assertThrows(IllegalStateException.class, () -> signer.sign(MESSAGE, RANDOM));
        signer.close();
    }
}
