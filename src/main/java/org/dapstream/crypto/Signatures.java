package org.dapstream.crypto;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.dapstream.protocol.NodeAddress;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Signature verification (ML-DSA-65 by this JVM's {@link MlDsaEngine}) and address derivation: public keys only, no secrets. */
public final class Signatures {
    private Signatures() {
    }

    /**
     * True when {@code signature} is a valid signature of {@code message} under
     * {@code publicKey}: ML-DSA-65 pure with an empty context (FIPS 204), or Ed25519 pure
     * (RFC 8032). False, never an exception, for any malformed input: null arguments, wrong
     * key or signature length, a key or signature that does not decode.
     */
    public static boolean verify(SignatureAlgorithm alg, byte[] publicKey, byte[] message, byte[] signature) {
        if (alg == null || publicKey == null || message == null || signature == null
                || publicKey.length != alg.publicKeySize() || signature.length != alg.signatureSize()) {
            return false;
        }
        try {
            switch (alg) {
                case ML_DSA_65: {
                    return MlDsaEngine.current().verify(publicKey, message, signature);
                }
                case ED25519: {
                    Ed25519Signer verifier = new Ed25519Signer();
                    verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
                    verifier.update(message, 0, message.length);
                    return verifier.verifySignature(signature);
                }
                default:
                    return false;
            }
        } catch (RuntimeException malformed) {
            // A key that does not decode is a bad signature from the caller's point of view.
            return false;
        }
    }

    /**
     * The node address of a public key: the first 8 bytes, big-endian, of
     * SHA-256(wire id byte || raw public key). Including the algorithm id keeps the same key
     * bytes under two algorithms from ever sharing an address.
     */
    public static NodeAddress addressOf(SignatureAlgorithm alg, byte[] publicKey) {
        if (alg == null || publicKey == null || publicKey.length != alg.publicKeySize()) {
            throw new IllegalArgumentException(alg + " public key must be "
                    + (alg == null ? "?" : alg.publicKeySize()) + " bytes, got " + (publicKey == null ? "none" : publicKey.length));
        }
        MessageDigest sha256 = sha256();
        sha256.update((byte) alg.wireId());
        byte[] h = sha256.digest(publicKey);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (h[i] & 0xFF);
        }
        return new NodeAddress(v);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
