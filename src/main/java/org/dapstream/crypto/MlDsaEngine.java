package org.dapstream.crypto;

import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;

/**
 * Who computes ML-DSA-65 in this JVM: the JDK's own implementation where the JDK has one
 * (JDK 24+, about twice as fast) and it passes a cross-check against Bouncy Castle, otherwise
 * Bouncy Castle. Decided once per JVM, on first use, and logged once (engine name only).
 * Both produce the same algorithm (pure ML-DSA-65, empty context, hedged): a signature made
 * by either verifies with the other.
 *
 * <p>System property {@value #ENGINE_PROPERTY}: {@code auto} (default) as above, {@code bc}
 * to force Bouncy Castle (an escape hatch, and for comparing the two on one JDK).
 */
abstract class MlDsaEngine {
    static final String ENGINE_PROPERTY = "dap.crypto.mldsa.engine";
    static final String AUTO = EngineChoice.AUTO;
    static final String BOUNCY_CASTLE = EngineChoice.BOUNCY_CASTLE;
    static final System.Logger LOG = System.getLogger(MlDsaEngine.class.getName());

    /** Human-readable, for logs: which implementation, nothing about keys. */
    abstract String name();

    /** Imports a private key for signing; the caller closes it. */
    abstract MlDsaSigningKey signingKey(MLDSAPrivateKeyParameters key);

    /**
     * Pure ML-DSA-65 verification with an empty context. Lengths are checked by the caller;
     * false (or a RuntimeException, which the caller maps to false) for anything that does not verify.
     */
    abstract boolean verify(byte[] publicKey, byte[] message, byte[] signature);

    @Override
    public String toString() {
        return "MlDsaEngine[" + name() + "]";
    }

    /** The engine of this JVM. */
    static MlDsaEngine current() {
        return Chosen.ENGINE;
    }

    /** Bouncy Castle, always available. */
    static MlDsaEngine bouncyCastle() {
        return BcMlDsaEngine.INSTANCE;
    }

    /** Lazy holder: the JDK probe and cross-check run once, when ML-DSA is first used. */
    private static final class Chosen {
        static final MlDsaEngine ENGINE = choose(System.getProperty(ENGINE_PROPERTY, AUTO));
    }

    /** The engine for a value of {@value #ENGINE_PROPERTY}. */
    static MlDsaEngine choose(String requested) {
        return EngineChoice.choose("ML-DSA-65", ENGINE_PROPERTY, requested, BcMlDsaEngine.INSTANCE, JdkMlDsaEngine::probe, MlDsaEngine::name, LOG);
    }
}
