package org.dapstream.crypto;

import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.dapstream.jmh.CpuCost;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Thread CPU time per ML-DSA-65 operation for each {@link MlDsaEngine} available in this JVM,
 * plus the parts of the JDK engine's cost (key import per verify, signer lookup), measured like
 * HandshakeCpuCost: {@link ThreadMXBean} CPU time, 2 warm-up rounds, median of
 * 7 rounds, so a machine shared with other busy processes barely moves the figure. Not a
 * test: run its {@code main} on the test class path (docs/decisions/0079-mldsa-jdk-engine.md).
 * Argument: seconds of CPU per round (default 0.5).
 */
public final class MlDsaEngineCpuCost {
    private static final byte[] TRANSCRIPT = new byte[32];
    public static void main(String[] args) throws Exception {
        double budgetSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        MlDsaEngine chosen = CpuCost.firstUse(MlDsaEngine::current, MlDsaEngine::name);
        SecureRandom random = new SecureRandom();
        MLDSAKeyPairGenerator g = new MLDSAKeyPairGenerator();
        g.init(new MLDSAKeyGenerationParameters(random, MLDSAParameters.ml_dsa_65));
        MLDSAPrivateKeyParameters key = (MLDSAPrivateKeyParameters) g.generateKeyPair().getPrivate();
        byte[] pub = key.getPublicKey();

        measureEngine("bc ", MlDsaEngine.bouncyCastle(), key, pub, random, budgetSeconds);
        JdkMlDsaEngine jdk;
        try {
            jdk = JdkMlDsaEngine.probe();
        } catch (java.security.GeneralSecurityException e) {
            System.out.println("jdk: not usable here (" + e.getMessage() + ")");
            return;
        }
        measureEngine("jdk", jdk, key, pub, random, budgetSeconds);

        // The parts of a JDK verify, to decide whether caching imported public keys pays.
        byte[] spki = Arrays.copyOf(JdkMlDsaEngine.SPKI_PREFIX, JdkMlDsaEngine.SPKI_PREFIX.length + pub.length);
        System.arraycopy(pub, 0, spki, JdkMlDsaEngine.SPKI_PREFIX.length, pub.length);
        PublicKey imported = KeyFactory.getInstance(JdkMlDsaEngine.KEY_FACTORY).generatePublic(new X509EncodedKeySpec(spki));
        byte[] sig;
        try (MlDsaSigningKey k = jdk.signingKey(key)) {
            sig = k.sign(TRANSCRIPT, random);
        }
        Signature reused = Signature.getInstance(JdkMlDsaEngine.SIGNATURE);
        CpuCost.report("jdk public key import", budgetSeconds,
                () -> KeyFactory.getInstance(JdkMlDsaEngine.KEY_FACTORY).generatePublic(new X509EncodedKeySpec(spki)));
        CpuCost.report("jdk Signature.getInstance", budgetSeconds, () -> Signature.getInstance(JdkMlDsaEngine.SIGNATURE));
        CpuCost.report("jdk verify, key imported", budgetSeconds, () -> {
            Signature v = Signature.getInstance(JdkMlDsaEngine.SIGNATURE);
            v.initVerify(KeyFactory.getInstance(JdkMlDsaEngine.KEY_FACTORY).generatePublic(new X509EncodedKeySpec(spki)));
            v.update(TRANSCRIPT);
            return v.verify(sig);
        });
        CpuCost.report("jdk verify, key cached", budgetSeconds, () -> {
            reused.initVerify(imported);
            reused.update(TRANSCRIPT);
            return reused.verify(sig);
        });
    }

    private static void measureEngine(String label, MlDsaEngine engine, MLDSAPrivateKeyParameters key, byte[] pub,
                                      SecureRandom random, double budgetSeconds) throws Exception {
        CpuCost.report(label + " import private key", budgetSeconds, () -> {
            MlDsaSigningKey k = engine.signingKey(key);
            k.close();
            return k;
        });
        try (MlDsaSigningKey signer = engine.signingKey(key)) {
            byte[] sig = signer.sign(TRANSCRIPT, random);
            CpuCost.report(label + " ml-dsa-65 sign", budgetSeconds, () -> signer.sign(TRANSCRIPT, random));
            CpuCost.report(label + " ml-dsa-65 verify", budgetSeconds, () -> {
                if (!engine.verify(pub, TRANSCRIPT, sig)) {
                    throw new AssertionError("does not verify");
                }
                return sig;
            });
        }
    }

    private MlDsaEngineCpuCost() {
    }
}
