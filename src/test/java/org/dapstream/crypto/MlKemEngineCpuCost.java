package org.dapstream.crypto;

import org.dapstream.jmh.CpuCost;

import java.security.SecureRandom;

/**
 * Thread CPU time per ML-KEM-768 operation for each {@link MlKemEngine} available in this JVM
 * (through the engine, so the JDK figures include the exact-bytes random, the SPKI wrap of the
 * peer's key and the method-handle calls), then the three {@link HybridKem} steps of a
 * handshake (ML-KEM plus Bouncy Castle's X25519) on the engine this JVM chose. Measured like
 * {@code MlDsaEngineCpuCost}: {@link CpuCost}, 2 warm-up rounds, median of 7. Not a test: run its
 * {@code main} on the test class path (docs/decisions/0112-mlkem-jdk-engine.md). Argument:
 * seconds of CPU per round (default 0.5); {@code -Ddap.crypto.mlkem.engine=bc} to time the
 * HybridKem rows on Bouncy Castle.
 */
public final class MlKemEngineCpuCost {
    public static void main(String[] args) throws Exception {
        double budgetSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        MlKemEngine chosen = CpuCost.firstUse(MlKemEngine::current, MlKemEngine::name);
        SecureRandom random = new SecureRandom();

        measureEngine("bc ", MlKemEngine.bouncyCastle(), random, budgetSeconds);
        try {
            measureEngine("jdk", JdkMlKemEngine.probe(), random, budgetSeconds);
        } catch (java.security.GeneralSecurityException e) {
            System.out.println("jdk: not usable here (" + e.getMessage() + ")");
        }

        String on = chosen == MlKemEngine.bouncyCastle() ? "bc " : "jdk";
        byte[] clientRandom = new byte[HybridKem.CLIENT_RANDOM_BYTES];
        byte[] serverRandom = new byte[HybridKem.SERVER_RANDOM_BYTES];
        random.nextBytes(clientRandom);
        random.nextBytes(serverRandom);
        HybridKem.ClientKeys client = HybridKem.clientKeys(clientRandom);
        byte[] clientShare = client.share();
        byte[] serverShare = HybridKem.serverRespond(clientShare, serverRandom).share();
        CpuCost.report(on + " hybrid client keys", budgetSeconds, () -> {
            HybridKem.ClientKeys k = HybridKem.clientKeys(clientRandom);
            k.close();
            return k;
        });
        CpuCost.report(on + " hybrid server respond", budgetSeconds, () -> HybridKem.serverRespond(clientShare, serverRandom));
        CpuCost.report(on + " hybrid client decaps", budgetSeconds, () -> client.decapsulate(serverShare));
        client.close();
    }

    private static void measureEngine(String label, MlKemEngine engine, SecureRandom random, double budgetSeconds) throws Exception {
        byte[] seed = new byte[MlKemEngine.SEED_SIZE];
        byte[] m = new byte[MlKemEngine.MESSAGE_SIZE];
        random.nextBytes(seed);
        random.nextBytes(m);
        try (MlKemEngine.DecapsulationKey key = engine.generate(seed)) {
            byte[] ek = key.encapsulationKey();
            byte[] ct = engine.encapsulate(ek, m).ciphertext();
            CpuCost.report(label + " ml-kem-768 keygen", budgetSeconds, () -> {
                MlKemEngine.DecapsulationKey k = engine.generate(seed);
                k.close();
                return k;
            });
            CpuCost.report(label + " ml-kem-768 encaps", budgetSeconds, () -> engine.encapsulate(ek, m));
            CpuCost.report(label + " ml-kem-768 decaps", budgetSeconds, () -> key.decapsulate(ct));
        }
    }

    private MlKemEngineCpuCost() {
    }
}
