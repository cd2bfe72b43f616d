package org.dapstream.crypto;

/**
 * The frame ciphers a stream may negotiate. Both take a 32-byte key and a 12-byte nonce and
 * append a 16-byte tag. AES-256-GCM is the default: the JDK's SunJCE implementation uses the
 * AES-NI and carry-less multiply intrinsics; ChaCha20-Poly1305 is not intrinsified on JDK 17
 * and is there for peers without AES hardware.
 */
public enum AeadSuite {
    AES_256_GCM(0x01, "AES/GCM/NoPadding"),
    CHACHA20_POLY1305(0x02, "ChaCha20-Poly1305");

    /** Key length of both suites, in bytes. */
    public static final int KEY_SIZE = 32;
    /** Nonce (IV) length of both suites, in bytes. */
    public static final int NONCE_SIZE = 12;

    private final int wireId;
    private final String transformation;

    AeadSuite(int wireId, String transformation) {
        this.wireId = wireId;
        this.transformation = transformation;
    }

    /** The one-byte id on the wire. */
    public int wireId() {
        return wireId;
    }

    /** The JCE transformation name. */
    String transformation() {
        return transformation;
    }

    /** The suite with this wire id, or {@code null} when the id is unknown. */
    public static AeadSuite fromWireId(int id) {
        for (AeadSuite s : values()) {
            if (s.wireId == id) {
                return s;
            }
        }
        return null;
    }

    /** The name in configuration: {@code aes-256-gcm}, {@code chacha20-poly1305}. */
    public String configName() {
        return name().toLowerCase().replace('_', '-');
    }

    /** The suite of a configuration name; a clear error naming the valid ones otherwise. */
    public static AeadSuite parse(String name) {
        for (AeadSuite s : values()) {
            if (s.configName().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown AEAD suite '" + name + "'; use aes-256-gcm or chacha20-poly1305");
    }
}
