package org.dapstream.crypto;

import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMExtractor;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPublicKeyParameters;

import javax.security.auth.DestroyFailedException;

/** ML-KEM-768 with Bouncy Castle's lightweight API: every JDK, the only choice before JDK 24. */
final class BcMlKemEngine extends MlKemEngine {
    static final BcMlKemEngine INSTANCE = new BcMlKemEngine();
    private static final MLKEMParameters MLKEM = MLKEMParameters.ml_kem_768;

    private BcMlKemEngine() {
    }

    @Override
    String name() {
        return "Bouncy Castle";
    }

    @Override
    DecapsulationKey generate(byte[] seed) {
        if (seed.length != SEED_SIZE) {
            throw new IllegalArgumentException("ML-KEM seed d || z is " + SEED_SIZE + " bytes, not " + seed.length);
        }
        // BC splits the 64-byte seed as d = seed[0..32), z = seed[32..64), FIPS 203's order.
        MLKEMPrivateKeyParameters key = new MLKEMPrivateKeyParameters(MLKEM, seed);
        byte[] ek = key.getPublicKey();
        return new DecapsulationKey() {
            /** Bouncy Castle keeps its key arrays private and has no wipe method; close only lets go of it. */
            private MLKEMPrivateKeyParameters k = key;

            @Override
            public byte[] encapsulationKey() {
                return ek.clone();
            }

            @Override
            public byte[] decapsulate(byte[] ciphertext) {
                if (k == null) {
                    throw new IllegalStateException("ML-KEM-768 decapsulation key is closed");
                }
                return new MLKEMExtractor(k).extractSecret(ciphertext);
            }

            @Override
            public void close() {
                k = null;
            }
        };
    }

    @Override
    Encapsulation encapsulate(byte[] encapsulationKey, byte[] m) throws HandshakeException {
        MLKEMPublicKeyParameters pub;
        try {
            pub = new MLKEMPublicKeyParameters(MLKEM, encapsulationKey); // FIPS 203 §7.2 length and modulus check
        } catch (IllegalArgumentException e) {
            throw HandshakeException.malformed(BAD_ENCAPSULATION_KEY);
        }
        SecretWithEncapsulation kem = new MLKEMGenerator(null).internalGenerateEncapsulated(pub, m);
        Encapsulation out = new Encapsulation(kem.getEncapsulation(), kem.getSecret());
        try {
            kem.destroy();
        } catch (DestroyFailedException ignored) {
            // nothing more we can do: the caller wipes the copy it gets
        }
        return out;
    }
}
