package org.dapstream.crypto;

import java.security.SecureRandom;

/**
 * An ML-DSA-65 private key imported into one {@link MlDsaEngine}, ready to sign. Signing is
 * thread-safe (each call uses its own signer state).
 */
interface MlDsaSigningKey extends AutoCloseable {
    /** Pure ML-DSA-65, empty context, hedged with fresh bytes from {@code random} (FIPS 204 §3.4). */
    byte[] sign(byte[] message, SecureRandom random);

    /** Drops (and, where the engine allows, wipes) the imported key. */
    @Override
    void close();
}
