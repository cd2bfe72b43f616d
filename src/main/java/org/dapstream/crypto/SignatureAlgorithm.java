package org.dapstream.crypto;

import java.util.Locale;

/**
 * The long-term signature algorithms a node identity may use. The wire ids are protocol
 * constants (they appear in handshake messages and endorsements); the sizes are the raw
 * encodings of FIPS 204 (ML-DSA-65) and RFC 8032 (Ed25519).
 */
public enum SignatureAlgorithm {
    /** FIPS 204 ML-DSA-65, pure mode, empty context: the default, post-quantum. */
    ML_DSA_65(0x01, "ml-dsa-65", 1952, 3309),
    /** RFC 8032 Ed25519 (pure): small and fast, not post-quantum. */
    ED25519(0x02, "ed25519", 32, 64);

    private final int wireId;
    private final String cliName;
    private final int publicKeySize;
    private final int signatureSize;

    SignatureAlgorithm(int wireId, String cliName, int publicKeySize, int signatureSize) {
        this.wireId = wireId;
        this.cliName = cliName;
        this.publicKeySize = publicKeySize;
        this.signatureSize = signatureSize;
    }

    /** The one-byte id on the wire. */
    public int wireId() {
        return wireId;
    }

    /** Bytes of the raw public key encoding. */
    public int publicKeySize() {
        return publicKeySize;
    }

    /** Bytes of a signature (both algorithms have fixed-size signatures). */
    public int signatureSize() {
        return signatureSize;
    }

    /** The lower-case name used in configuration and on the command line, e.g. {@code ml-dsa-65}. */
    public String configName() {
        return cliName;
    }

    /** The algorithm with this wire id, or {@code null} when the id is unknown. */
    public static SignatureAlgorithm fromWireId(int id) {
        for (SignatureAlgorithm a : values()) {
            if (a.wireId == id) {
                return a;
            }
        }
        return null;
    }

    /** Parses {@code ml-dsa-65} or {@code ed25519} (either case; {@code ML_DSA_65} is also taken). */
    public static SignatureAlgorithm parse(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (SignatureAlgorithm a : values()) {
                if (a.cliName.equals(n)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown signature algorithm '" + name + "': expected ml-dsa-65 or ed25519");
    }
}
