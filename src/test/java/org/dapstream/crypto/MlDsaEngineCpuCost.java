package org.dapstream.crypto;

import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAParameters;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * Thread CPU time per ML-DSA-65 operation for each {@link MlDsaEngine} available in this JVM,
 * plus the parts of the JDK engine's cost (key import per verify, signer lookup), measured like
 * crypto-core's HandshakeCpuCost: {@link ThreadMXBean} CPU time, 2 warm-up rounds, median of
 * 7 rounds, so a machine shared with other busy processes barely moves the figure. Not a
 * test: run its {@code main} on the test class path (docs/DECISIONS.md, "Crypto primitives").
 * Argument: seconds of CPU per round (default 0.5).
 */
public final class MlDsaEngineCpuCost {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final byte[] TRANSCRIPT = new byte[32];
    private static final int ROUNDS = 7;
    private static Object sink;

    private interface Op {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        double budgetSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        System.out.println("jvm: " + System.getProperty("java.vm.name") + " " + Runtime.version());
        long t0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        MlDsaEngine chosen = MlDsaEngine.current();
        System.out.printf(Locale.ROOT, "engine chosen: %s (first use, cold, incl. the JDK probe: %.1f ms CPU, %.1f ms wall)%n",
                chosen.name(), (THREADS.getCurrentThreadCpuTime() - c0) / 1e6, (System.nanoTime() - t0) / 1e6);
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
        report("jdk public key import", budgetSeconds,
                () -> KeyFactory.getInstance(JdkMlDsaEngine.KEY_FACTORY).generatePublic(new X509EncodedKeySpec(spki)));
        report("jdk Signature.getInstance", budgetSeconds, () -> Signature.getInstance(JdkMlDsaEngine.SIGNATURE));
        report("jdk verify, key imported", budgetSeconds, () -> {
            Signature v = Signature.getInstance(JdkMlDsaEngine.SIGNATURE);
            v.initVerify(KeyFactory.getInstance(JdkMlDsaEngine.KEY_FACTORY).generatePublic(new X509EncodedKeySpec(spki)));
            v.update(TRANSCRIPT);
            return v.verify(sig);
        });
        report("jdk verify, key cached", budgetSeconds, () -> {
            reused.initVerify(imported);
            reused.update(TRANSCRIPT);
            return reused.verify(sig);
        });
    }

    private static void measureEngine(String label, MlDsaEngine engine, MLDSAPrivateKeyParameters key, byte[] pub,
                                      SecureRandom random, double budgetSeconds) throws Exception {
        report(label + " import private key", budgetSeconds, () -> {
            MlDsaSigningKey k = engine.signingKey(key);
            k.close();
            return k;
        });
        try (MlDsaSigningKey signer = engine.signingKey(key)) {
            byte[] sig = signer.sign(TRANSCRIPT, random);
            report(label + " ml-dsa-65 sign", budgetSeconds, () -> signer.sign(TRANSCRIPT, random));
            report(label + " ml-dsa-65 verify", budgetSeconds, () -> {
                if (!engine.verify(pub, TRANSCRIPT, sig)) {
                    throw new AssertionError("does not verify");
                }
                return sig;
            });
        }
    }

    private static void report(String name, double budgetSeconds, Op op) throws Exception {
        long budget = (long) (budgetSeconds * 1e9);
        for (int i = 0; i < 2; i++) {
            timeRound(op, budget);
        }
        double[] perOp = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            perOp[r] = timeRound(op, budget);
        }
        Arrays.sort(perOp);
        System.out.println(String.format(Locale.ROOT, "%-28s %9.1f us CPU/op (min %.1f, max %.1f)",
                name, perOp[ROUNDS / 2] / 1000, perOp[0] / 1000, perOp[ROUNDS - 1] / 1000));
    }

    private static double timeRound(Op op, long budgetNanos) throws Exception {
        long start = THREADS.getCurrentThreadCpuTime();
        long n = 0;
        long used;
        do {
            for (int i = 0; i < 8; i++) {
                sink = op.run();
            }
            n += 8;
            used = THREADS.getCurrentThreadCpuTime() - start;
        } while (used < budgetNanos);
        return (double) used / n;
    }

    private MlDsaEngineCpuCost() {
    }
}
