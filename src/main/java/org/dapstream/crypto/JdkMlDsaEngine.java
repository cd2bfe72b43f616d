package org.dapstream.crypto;

import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.util.PrivateKeyInfoFactory;

import javax.security.auth.DestroyFailedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * ML-DSA-65 with the running JDK's own implementation (JCA {@code Signature "ML-DSA-65"},
 * {@code KeyFactory "ML-DSA"}, JDK 24+; about twice as fast as Bouncy Castle on JDK 25).
 * Reached by JCA name only, so the project still compiles for release 17. Keys cross over in
 * their standard encodings: the private key as PKCS#8 in the expanded form (the only one
 * JDK 25's KeyFactory accepts: it rejects the seed-only and seed-plus-expanded forms with
 * "Cannot parse input"), the public key as an X.509 SubjectPublicKeyInfo.
 */
final class JdkMlDsaEngine extends MlDsaEngine {
    static final String SIGNATURE = "ML-DSA-65";
    static final String KEY_FACTORY = "ML-DSA";
    /**
     * DER of SubjectPublicKeyInfo for ML-DSA-65 up to the key bits: SEQUENCE (1970 bytes),
     * AlgorithmIdentifier id-ml-dsa-65 (2.16.840.1.101.3.4.3.18, no parameters), BIT STRING
     * (1953 bytes, no unused bits). The raw 1952-byte key follows (RFC 9881).
     */
    static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("308207b2300b0609608648016503040312038207a100");

    /** Pinned: the provider that served "ML-DSA-65" when the engine was chosen, so keys and signers always match. */
    private final Provider provider;

    private JdkMlDsaEngine(Provider provider) {
        this.provider = provider;
    }

    /**
     * The JDK engine when this JDK has ML-DSA-65 and it interoperates with Bouncy Castle on a
     * fixed key (each signs, the other verifies, in our key encodings).
     *
     * @throws GeneralSecurityException saying why not (no ML-DSA in this JDK, a key format it refuses, a failed cross-check)
     */
    static JdkMlDsaEngine probe() throws GeneralSecurityException {
        Provider provider = Signature.getInstance(SIGNATURE).getProvider();
        KeyFactory.getInstance(KEY_FACTORY, provider);
        JdkMlDsaEngine jdk = new JdkMlDsaEngine(provider);
        crossCheck(jdk);
        return jdk;
    }

    /** Sign with each engine, verify with the other, on a key derived from a fixed seed; refuse a flipped bit. */
    private static void crossCheck(JdkMlDsaEngine jdk) throws GeneralSecurityException {
        byte[] seed = new byte[32];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = (byte) i;
        }
        MLDSAPrivateKeyParameters key = new MLDSAPrivateKeyParameters(MLDSAParameters.ml_dsa_65, seed);
        byte[] publicKey = key.getPublicKey();
        byte[] message = "dap-stream ML-DSA engine check".getBytes(StandardCharsets.US_ASCII);
        SecureRandom random = new SecureRandom();
        byte[] byJdk;
        try (MlDsaSigningKey k = jdk.importKey(key)) {
            byJdk = k.sign(message, random);
        }
        byte[] byBc;
        try (MlDsaSigningKey k = BcMlDsaEngine.INSTANCE.signingKey(key)) {
            byBc = k.sign(message, random);
        }
        if (!BcMlDsaEngine.INSTANCE.verify(publicKey, message, byJdk)) {
            throw new GeneralSecurityException("Bouncy Castle rejects the JDK's ML-DSA-65 signature");
        }
        if (!jdk.verifyOrThrow(publicKey, message, byBc)) {
            throw new GeneralSecurityException("the JDK rejects Bouncy Castle's ML-DSA-65 signature");
        }
        byBc[byBc.length / 2] ^= 1;
        if (jdk.verifyOrThrow(publicKey, message, byBc)) {
            throw new GeneralSecurityException("the JDK accepts a tampered ML-DSA-65 signature");
        }
    }

    @Override
    String name() {
        return "JDK (" + provider.getName() + " " + provider.getVersionStr() + ")";
    }

    /**
     * Imports {@code key}; should this JDK refuse it (a key the start-up check did not cover),
     * signs with Bouncy Castle instead: the signatures are the same algorithm either way.
     */
    @Override
    MlDsaSigningKey signingKey(MLDSAPrivateKeyParameters key) {
        try {
            return importKey(key);
        } catch (GeneralSecurityException e) {
            LOG.log(System.Logger.Level.WARNING, "the JDK refused an ML-DSA-65 private key (" + e.getClass().getSimpleName()
                    + "); this identity signs with Bouncy Castle");
            return BcMlDsaEngine.INSTANCE.signingKey(key);
        }
    }

    private MlDsaSigningKey importKey(MLDSAPrivateKeyParameters key) throws GeneralSecurityException {
        byte[] pkcs8 = null;
        try {
            pkcs8 = PrivateKeyInfoFactory.createPrivateKeyInfo(key.getParametersWithFormat(MLDSAPrivateKeyParameters.EXPANDED_KEY)).getEncoded();
            PrivateKey imported = KeyFactory.getInstance(KEY_FACTORY, provider).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            return new JdkSigningKey(imported, provider);
        } catch (IOException e) {
            throw new GeneralSecurityException("ML-DSA-65 private key does not encode as PKCS#8", e);
        } finally {
            // The spec keeps its own copy, which has no wipe method; ours at least goes now.
            Secrets.wipe(pkcs8);
        }
    }

    @Override
    boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        try {
            return verifyOrThrow(publicKey, message, signature);
        } catch (GeneralSecurityException malformed) {
            return false;
        }
    }

    private boolean verifyOrThrow(byte[] publicKey, byte[] message, byte[] signature) throws GeneralSecurityException {
        byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + publicKey.length);
        System.arraycopy(publicKey, 0, spki, SPKI_PREFIX.length, publicKey.length);
        PublicKey key = KeyFactory.getInstance(KEY_FACTORY, provider).generatePublic(new X509EncodedKeySpec(spki));
        Signature verifier = Signature.getInstance(SIGNATURE, provider);
        verifier.initVerify(key);
        verifier.update(message);
        return verifier.verify(signature);
    }

    /** A JDK private key; close destroys it (the JDK's ML-DSA key zeroes its arrays on destroy). */
    private static final class JdkSigningKey implements MlDsaSigningKey {
        private final Provider provider;
        private volatile PrivateKey key;

        JdkSigningKey(PrivateKey key, Provider provider) {
            this.key = key;
            this.provider = provider;
        }

        @Override
        public byte[] sign(byte[] message, SecureRandom random) {
            PrivateKey current = key;
            if (current == null) {
                throw new IllegalStateException("ML-DSA-65 signing key is closed");
            }
            try {
                Signature signer = Signature.getInstance(SIGNATURE, provider);
                // Hedged: the JDK draws FIPS 204's 32-byte rnd from the SecureRandom given here.
                signer.initSign(current, random);
                signer.update(message);
                return signer.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ML-DSA-65 signing failed", e);
            }
        }

        @Override
        public void close() {
            PrivateKey current = key;
            key = null;
            if (current != null && !current.isDestroyed()) {
                try {
                    current.destroy();
                } catch (DestroyFailedException e) {
                    // A provider whose keys cannot be destroyed: dropping the reference is all we can do.
                }
            }
        }
    }
}
