package org.dapstream.crypto;

import java.nio.charset.StandardCharsets;

/**
 * A cluster key's signature over a node identity: how replicas whose keys are generated at
 * start prove they belong to the cluster (the cluster-signed authentication policy).
 *
 * <h2>What is signed</h2>
 * <pre>
 *   "dap-stream v1 endorsement"   25 ASCII bytes (the label, {@link #LABEL})
 *   0x00                          1 byte, ends the label
 *   node algorithm wire id        1 byte ({@link SignatureAlgorithm#wireId()})
 *   node public key               the raw key, {@link SignatureAlgorithm#publicKeySize()} bytes
 *   expiry                        u64 little-endian, Unix epoch seconds; 0 = never expires
 * </pre>
 * signed by the cluster key with its own algorithm (ML-DSA-65 pure with an empty context,
 * or Ed25519), which may differ from the node's.
 *
 * <h2>Encoding</h2>
 * <pre>
 *   cluster algorithm wire id     1 byte (which algorithm made the signature; fixes its length)
 *   expiry                        u64 little-endian
 *   signature                     the cluster algorithm's signatureSize() bytes (3309 or 64)
 * </pre>
 * The node's algorithm and key are not repeated: the verifier already has them from the
 * handshake, and they are bound by the signature.
 */
public final class Endorsement {
    /** The domain-separation label that starts the signed message. */
    public static final String LABEL = "dap-stream v1 endorsement";
    /** Expiry value meaning "never expires". */
    public static final long NO_EXPIRY = 0;
    /** Bytes before the signature in the encoding: algorithm id and expiry. */
    public static final int PREFIX_SIZE = 1 + 8;

    private static final byte[] LABEL_BYTES = LABEL.getBytes(StandardCharsets.US_ASCII);

    /** The outcome of checking an endorsement; everything but {@link #VALID} refuses the node. */
    public enum Verdict {
        VALID,
        /** The signature is good but the expiry has passed. */
        EXPIRED,
        /** Made with a different algorithm than the trusted cluster key's. */
        WRONG_ALGORITHM,
        /** Not a signature of this node's key by the trusted cluster key. */
        BAD_SIGNATURE
    }

    private final SignatureAlgorithm clusterAlgorithm;
    private final long expiry;
    private final byte[] signature;

    private Endorsement(SignatureAlgorithm clusterAlgorithm, long expiry, byte[] signature) {
        this.clusterAlgorithm = clusterAlgorithm;
        this.expiry = expiry;
        this.signature = signature;
    }

    /**
     * The cluster key endorses a node key until {@code expiryEpochSeconds} ({@link #NO_EXPIRY}
     * for none).
     */
    public static Endorsement issue(NodeIdentity clusterKey, SignatureAlgorithm nodeAlgorithm, byte[] nodePublicKey,
                                    long expiryEpochSeconds) {
        if (expiryEpochSeconds < 0) {
            throw new IllegalArgumentException("expiry must be epoch seconds or 0 for none, got " + expiryEpochSeconds);
        }
        byte[] message = signedMessage(nodeAlgorithm, nodePublicKey, expiryEpochSeconds);
        return new Endorsement(clusterKey.algorithm(), expiryEpochSeconds, clusterKey.sign(message));
    }

    /**
     * Parses the encoding above.
     *
     * @throws IllegalArgumentException naming what is wrong: unknown algorithm, wrong length
     */
    public static Endorsement decode(byte[] encoded) {
        if (encoded == null || encoded.length < PREFIX_SIZE) {
            throw new IllegalArgumentException("endorsement is " + (encoded == null ? 0 : encoded.length)
                    + " bytes, shorter than its " + PREFIX_SIZE + "-byte prefix");
        }
        SignatureAlgorithm alg = SignatureAlgorithm.fromWireId(encoded[0] & 0xFF);
        if (alg == null) {
            throw new IllegalArgumentException("endorsement names unknown signature algorithm 0x"
                    + Integer.toHexString(encoded[0] & 0xFF));
        }
        if (encoded.length != PREFIX_SIZE + alg.signatureSize()) {
            throw new IllegalArgumentException("endorsement by " + alg.configName() + " must be "
                    + (PREFIX_SIZE + alg.signatureSize()) + " bytes, got " + encoded.length);
        }
        long expiry = 0;
        for (int i = 8; i >= 1; i--) {
            expiry = (expiry << 8) | (encoded[i] & 0xFF);
        }
        if (expiry < 0) {
            throw new IllegalArgumentException("endorsement expiry " + Long.toUnsignedString(expiry) + " is out of range");
        }
        byte[] signature = new byte[alg.signatureSize()];
        System.arraycopy(encoded, PREFIX_SIZE, signature, 0, signature.length);
        return new Endorsement(alg, expiry, signature);
    }

    public byte[] encode() {
        byte[] out = new byte[PREFIX_SIZE + signature.length];
        out[0] = (byte) clusterAlgorithm.wireId();
        putLongLe(out, 1, expiry);
        System.arraycopy(signature, 0, out, PREFIX_SIZE, signature.length);
        return out;
    }

    /**
     * Checks that the trusted cluster key ({@code clusterAlgorithm}, {@code clusterPublicKey})
     * endorsed this node key and that the endorsement has not expired at {@code nowEpochSeconds}
     * (valid while {@code now < expiry}). The signature is checked first, so a forged
     * endorsement is {@link Verdict#BAD_SIGNATURE} whatever expiry it claims.
     */
    public Verdict check(SignatureAlgorithm clusterAlgorithm, byte[] clusterPublicKey,
                         SignatureAlgorithm nodeAlgorithm, byte[] nodePublicKey, long nowEpochSeconds) {
        if (clusterAlgorithm != this.clusterAlgorithm) {
            return Verdict.WRONG_ALGORITHM;
        }
        if (nodeAlgorithm == null || nodePublicKey == null || nodePublicKey.length != nodeAlgorithm.publicKeySize()) {
            return Verdict.BAD_SIGNATURE;
        }
        byte[] message = signedMessage(nodeAlgorithm, nodePublicKey, expiry);
        if (!Signatures.verify(clusterAlgorithm, clusterPublicKey, message, signature)) {
            return Verdict.BAD_SIGNATURE;
        }
        if (expiry != NO_EXPIRY && nowEpochSeconds >= expiry) {
            return Verdict.EXPIRED;
        }
        return Verdict.VALID;
    }

    public SignatureAlgorithm clusterAlgorithm() {
        return clusterAlgorithm;
    }

    /** Unix epoch seconds after which the endorsement is void; {@link #NO_EXPIRY} for never. */
    public long expiry() {
        return expiry;
    }

    /** The message the cluster key signs (layout in the class comment). */
    static byte[] signedMessage(SignatureAlgorithm nodeAlgorithm, byte[] nodePublicKey, long expiry) {
        if (nodeAlgorithm == null || nodePublicKey == null || nodePublicKey.length != nodeAlgorithm.publicKeySize()) {
            throw new IllegalArgumentException("node public key must be " + (nodeAlgorithm == null ? "?" : nodeAlgorithm.publicKeySize())
                    + " bytes for " + nodeAlgorithm);
        }
        byte[] m = new byte[LABEL_BYTES.length + 1 + 1 + nodePublicKey.length + 8];
        int at = 0;
        System.arraycopy(LABEL_BYTES, 0, m, at, LABEL_BYTES.length);
        at += LABEL_BYTES.length;
        m[at++] = 0x00;
        m[at++] = (byte) nodeAlgorithm.wireId();
        System.arraycopy(nodePublicKey, 0, m, at, nodePublicKey.length);
        at += nodePublicKey.length;
        putLongLe(m, at, expiry);
        return m;
    }

    private static void putLongLe(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    @Override
    public String toString() {
        return "Endorsement[" + clusterAlgorithm.configName() + ", expiry " + (expiry == NO_EXPIRY ? "none" : expiry) + "]";
    }
}
