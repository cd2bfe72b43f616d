package org.dapstream.crypto;

import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPublicKeyParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSASigner;

import java.security.SecureRandom;

/** ML-DSA-65 with Bouncy Castle's lightweight API: every JDK, the only choice before JDK 24. */
final class BcMlDsaEngine extends MlDsaEngine {
    static final BcMlDsaEngine INSTANCE = new BcMlDsaEngine();

    private BcMlDsaEngine() {
    }

    @Override
    String name() {
        return "Bouncy Castle";
    }

    @Override
    MlDsaSigningKey signingKey(MLDSAPrivateKeyParameters key) {
        return new MlDsaSigningKey() {
            /** Bouncy Castle's key object has no wipe method; close only lets go of it. */
            private volatile MLDSAPrivateKeyParameters k = key;

            @Override
            public byte[] sign(byte[] message, SecureRandom random) {
                MLDSAPrivateKeyParameters current = k;
                if (current == null) {
                    throw new IllegalStateException("ML-DSA-65 signing key is closed");
                }
                try {
                    MLDSASigner signer = new MLDSASigner();
                    signer.init(true, new ParametersWithRandom(current, random));
                    signer.update(message, 0, message.length);
                    return signer.generateSignature();
                } catch (CryptoException e) {
                    throw new IllegalStateException("ML-DSA-65 signing failed", e);
                }
            }

            @Override
            public void close() {
                k = null;
            }
        };
    }

    @Override
    boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        MLDSASigner verifier = new MLDSASigner();
        verifier.init(false, new MLDSAPublicKeyParameters(MLDSAParameters.ml_dsa_65, publicKey));
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }
}
