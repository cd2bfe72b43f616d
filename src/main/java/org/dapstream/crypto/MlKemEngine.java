package org.dapstream.crypto;

/**
 * Who computes ML-KEM-768 in this JVM: the JDK's own implementation where the JDK has one
 * (JDK 24+, 1.3-1.9x faster than Bouncy Castle on JDK 25) and it passes a cross-check against
 * Bouncy Castle on fixed inputs, otherwise Bouncy Castle. Decided once per JVM, on first use,
 * and logged once (engine name only). Both compute FIPS 203's deterministic internal
 * functions from the bytes given ({@code KeyGen_internal(d, z)}, {@code Encaps_internal(ek, m)}),
 * so the wire bytes and the test vectors are the same whichever engine runs.
 *
 * <p>System property {@value #ENGINE_PROPERTY}: {@code auto} (default) as above, {@code bc}
 * to force Bouncy Castle (an escape hatch, and for comparing the two on one JDK).
 */
abstract class MlKemEngine {
    static final String ENGINE_PROPERTY = "dap.crypto.mlkem.engine";
    static final String AUTO = EngineChoice.AUTO;
    static final String BOUNCY_CASTLE = EngineChoice.BOUNCY_CASTLE;
    static final int SEED_SIZE = 64;
    static final int MESSAGE_SIZE = 32;
    /** The one refusal of a peer's key, whichever engine finds it, so the handshake fails alike on every JDK. */
    static final String BAD_ENCAPSULATION_KEY = "client ML-KEM-768 key is not a valid encapsulation key";
    static final System.Logger LOG = System.getLogger(MlKemEngine.class.getName());

    /** Human-readable, for logs: which implementation, nothing about keys. */
    abstract String name();

    /** FIPS 203 ML-KEM.KeyGen_internal(d, z) from {@code seed} = d (32) || z (32); the caller wipes the seed. */
    abstract DecapsulationKey generate(byte[] seed);

    /**
     * FIPS 203 ML-KEM.Encaps_internal(ek, m) to a raw 1184-byte encapsulation key from the wire;
     * the caller wipes {@code m} and the returned secret.
     *
     * @throws HandshakeException malformed ({@link #BAD_ENCAPSULATION_KEY}) when the key fails FIPS 203's checks
     */
    abstract Encapsulation encapsulate(byte[] encapsulationKey, byte[] m) throws HandshakeException;

    /** The connector's half: its raw encapsulation key for the wire, and decapsulation. */
    interface DecapsulationKey extends AutoCloseable {
        /** The raw 1184-byte encapsulation key (ek). */
        byte[] encapsulationKey();

        /** The 32-byte shared secret of a 1088-byte ciphertext (FIPS 203 implicit rejection: never fails on a bad one). */
        byte[] decapsulate(byte[] ciphertext);

        /** Destroys or drops the key; decapsulate then throws IllegalStateException. */
        @Override
        void close();
    }

    /** Ciphertext (1088) for the wire and the 32-byte shared secret. */
    record Encapsulation(byte[] ciphertext, byte[] sharedSecret) {
    }

    @Override
    public String toString() {
        return "MlKemEngine[" + name() + "]";
    }

    /** The engine of this JVM. */
    static MlKemEngine current() {
        return Chosen.ENGINE;
    }

    /** Bouncy Castle, always available. */
    static MlKemEngine bouncyCastle() {
        return BcMlKemEngine.INSTANCE;
    }

    /** Lazy holder: the JDK probe and cross-check run once, at the first handshake. */
    private static final class Chosen {
        static final MlKemEngine ENGINE = choose(System.getProperty(ENGINE_PROPERTY, AUTO));
    }

    /** The engine for a value of {@value #ENGINE_PROPERTY}. */
    static MlKemEngine choose(String requested) {
        return EngineChoice.choose("ML-KEM-768", ENGINE_PROPERTY, requested, BcMlKemEngine.INSTANCE, JdkMlKemEngine::probe, MlKemEngine::name, LOG);
    }
}
