package org.dapstream.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.dapstream.protocol.NodeAddress;

import java.security.SecureRandom;

/**
 * A node's long-term signing key pair: ML-DSA-65 by default, Ed25519 as the
 * small alternative. Signing is thread-safe (each call uses its own signer); ML-DSA-65 signs with
 * this JVM's {@link MlDsaEngine} (the JDK's own on JDK 24+, else Bouncy Castle). {@link #close()}
 * drops the private key; {@link #toString()} never shows key material.
 */
public final class NodeIdentity implements AutoCloseable {
    private final SignatureAlgorithm algorithm;
    private final byte[] publicKey;
    private final NodeAddress address;
    /** Randomness for hedged ML-DSA signing. */
    private final SecureRandom random;
    /** ML-DSA-65: Bouncy Castle's expanded private key (kept expanded: re-deriving it per signature would cost a key generation), for persisting. */
    private volatile MLDSAPrivateKeyParameters mlDsaKey;
    /** ML-DSA-65: the same key imported once into this JVM's {@link MlDsaEngine}, for signing. */
    private volatile MlDsaSigningKey mlDsaSigner;
    /** Ed25519: the raw 32-byte secret, our own array, so {@link #close()} really zeroes it. */
    private volatile byte[] ed25519Secret;

    private NodeIdentity(SignatureAlgorithm algorithm, MLDSAPrivateKeyParameters mlDsaKey, byte[] ed25519Secret,
                         byte[] publicKey, SecureRandom random) {
        this.algorithm = algorithm;
        this.mlDsaKey = mlDsaKey;
        this.mlDsaSigner = mlDsaKey == null ? null : MlDsaEngine.current().signingKey(mlDsaKey);
        this.ed25519Secret = ed25519Secret;
        this.publicKey = publicKey;
        this.address = Signatures.addressOf(algorithm, publicKey);
        this.random = random;
    }

    /** Generates a new key pair. */
    public static NodeIdentity generate(SignatureAlgorithm alg, SecureRandom random) {
        if (alg == null || random == null) {
            throw new IllegalArgumentException("algorithm and random source are required");
        }
        switch (alg) {
            case ML_DSA_65: {
                MLDSAKeyPairGenerator g = new MLDSAKeyPairGenerator();
                g.init(new MLDSAKeyGenerationParameters(random, MLDSAParameters.ml_dsa_65));
                AsymmetricCipherKeyPair kp = g.generateKeyPair();
                return of((MLDSAPrivateKeyParameters) kp.getPrivate(), random);
            }
            case ED25519: {
                // RFC 8032 §5.1.5: the private key is 32 random bytes; no Bouncy Castle key object keeps a copy.
                byte[] sk = new byte[Ed25519.SECRET_KEY_SIZE];
                random.nextBytes(sk);
                return ofEd25519(sk, random);
            }
            default:
                throw new IllegalArgumentException("unsupported algorithm " + alg);
        }
    }

    /** Wraps a decoded ML-DSA-65 private key (its public key is derived from it). */
    static NodeIdentity of(MLDSAPrivateKeyParameters key, SecureRandom random) {
        if (key.getParameters() != MLDSAParameters.ml_dsa_65) {
            throw new IllegalArgumentException("ML-DSA key is " + key.getParameters().getName() + ", only ML-DSA-65 is supported");
        }
        return new NodeIdentity(SignatureAlgorithm.ML_DSA_65, key, null, key.getPublicKey(), random);
    }

    /** Wraps a raw 32-byte Ed25519 secret, taking ownership of the array (its public key is derived from it). */
    static NodeIdentity ofEd25519(byte[] secret, SecureRandom random) {
        byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
        Ed25519.generatePublicKey(secret, 0, pk, 0);
        return new NodeIdentity(SignatureAlgorithm.ED25519, null, secret, pk, random);
    }

    public SignatureAlgorithm algorithm() {
        return algorithm;
    }

    /** The raw public key encoding (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** {@code Signatures.addressOf(algorithm(), publicKey())}. */
    public NodeAddress address() {
        return address;
    }

    /**
     * Signs {@code message}. ML-DSA-65: pure ML-DSA, empty context, hedged (fresh randomness
     * mixed into every signature, FIPS 204 §3.4). Ed25519: RFC 8032 pure Ed25519
     * (deterministic).
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public byte[] sign(byte[] message) {
        if (algorithm == SignatureAlgorithm.ED25519) {
            byte[] sk = ed25519Secret;
            if (sk == null) {
                throw closed();
            }
            byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
            Ed25519.sign(sk, 0, publicKey, 0, message, 0, message.length, sig, 0);
            return sig;
        }
        MlDsaSigningKey signer = mlDsaSigner;
        if (signer == null) {
            throw closed();
        }
        return signer.sign(message, random);
    }

    private IllegalStateException closed() {
        return new IllegalStateException("node identity " + address + " is closed");
    }

    /** The private key as Bouncy Castle parameters, for persisting ({@link IdentityFile}). */
    AsymmetricKeyParameter privateKey() {
        if (algorithm == SignatureAlgorithm.ED25519) {
            byte[] sk = ed25519Secret;
            if (sk == null) {
                throw closed();
            }
            return new Ed25519PrivateKeyParameters(sk, 0);
        }
        MLDSAPrivateKeyParameters key = mlDsaKey;
        if (key == null) {
            throw closed();
        }
        return key;
    }

    /**
     * Drops the private key; signing afterwards fails. The Ed25519 secret is our own array
     * and is zeroed; an ML-DSA key imported into the JDK is destroyed (which zeroes it).
     * Bouncy Castle's ML-DSA key object keeps its expanded arrays private with no wipe
     * method, so those go when the collector reclaims them; we keep no other copy.
     */
    @Override
    public void close() {
        byte[] sk = ed25519Secret;
        MlDsaSigningKey signer = mlDsaSigner;
        ed25519Secret = null;
        mlDsaSigner = null;
        mlDsaKey = null;
        Secrets.wipe(sk);
        if (signer != null) {
            signer.close();
        }
    }

    public boolean isClosed() {
        return ed25519Secret == null && mlDsaKey == null;
    }

    @Override
    public String toString() {
        return "NodeIdentity[" + algorithm.configName() + " " + address + (isClosed() ? ", closed]" : "]");
    }
}
