package org.dapstream.jmh;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.generators.X25519KeyPairGenerator;
import org.bouncycastle.crypto.params.X25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMExtractor;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMKeyPairGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPublicKeyParameters;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.Signatures;

import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;

/**
 * Thread CPU time per public-key operation (what a handshake costs each side), measured
 * with {@link ThreadMXBean#getCurrentThreadCpuTime()} rather than wall time, so the figure
 * holds on a machine shared with other busy processes where JMH's wall-clock scores swing.
 * Not a JMH benchmark: run its {@code main} on the test class path (see
 * docs/decisions/0078-crypto-costs-in-thread-cpu-time.md). Each operation warms up, then the median of 7
 * rounds is printed.
 */
public final class HandshakeCpuCost {
    private static final byte[] TRANSCRIPT = new byte[32];

    public static void main(String[] args) throws Exception {
        double budgetSeconds = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        SecureRandom random = new SecureRandom();
        System.out.println("jvm: " + System.getProperty("java.vm.name") + " " + Runtime.version());
        MLKEMKeyPairGenerator kemGen = new MLKEMKeyPairGenerator();
        kemGen.init(new MLKEMKeyGenerationParameters(random, MLKEMParameters.ml_kem_768));
        AsymmetricCipherKeyPair kem = kemGen.generateKeyPair();
        MLKEMPublicKeyParameters kemPub = (MLKEMPublicKeyParameters) kem.getPublic();
        MLKEMPrivateKeyParameters kemPriv = (MLKEMPrivateKeyParameters) kem.getPrivate();
        byte[] ct = new MLKEMGenerator(random).generateEncapsulated(kemPub).getEncapsulation();
        X25519KeyPairGenerator xGen = new X25519KeyPairGenerator();
        xGen.init(new X25519KeyGenerationParameters(random));
        AsymmetricCipherKeyPair xMine = xGen.generateKeyPair();
        X25519PublicKeyParameters xPeer = (X25519PublicKeyParameters) xGen.generateKeyPair().getPublic();
        NodeIdentity mlDsa = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random);
        byte[] mlDsaPub = mlDsa.publicKey();
        byte[] mlDsaSig = mlDsa.sign(TRANSCRIPT);
        NodeIdentity ed = NodeIdentity.generate(SignatureAlgorithm.ED25519, random);
        byte[] edPub = ed.publicKey();
        byte[] edSig = ed.sign(TRANSCRIPT);

        CpuCost.report("bc  ml-kem-768 keygen", budgetSeconds, kemGen::generateKeyPair);
        CpuCost.report("bc  ml-kem-768 encaps", budgetSeconds, () -> new MLKEMGenerator(random).generateEncapsulated(kemPub));
        CpuCost.report("bc  ml-kem-768 decaps", budgetSeconds, () -> new MLKEMExtractor(kemPriv).extractSecret(ct));
        CpuCost.report("bc  x25519 keygen", budgetSeconds, xGen::generateKeyPair);
        CpuCost.report("bc  x25519 agree", budgetSeconds, () -> {
            X25519Agreement a = new X25519Agreement();
            a.init(xMine.getPrivate());
            byte[] out = new byte[32];
            a.calculateAgreement(xPeer, out, 0);
            return out;
        });
        CpuCost.report("bc  ml-dsa-65 sign", budgetSeconds, () -> mlDsa.sign(TRANSCRIPT));
        CpuCost.report("bc  ml-dsa-65 verify", budgetSeconds, () -> Signatures.verify(SignatureAlgorithm.ML_DSA_65, mlDsaPub, TRANSCRIPT, mlDsaSig));
        CpuCost.report("bc  ed25519 sign", budgetSeconds, () -> ed.sign(TRANSCRIPT));
        CpuCost.report("bc  ed25519 verify", budgetSeconds, () -> Signatures.verify(SignatureAlgorithm.ED25519, edPub, TRANSCRIPT, edSig));
        jdk(budgetSeconds);
    }

    /** The JDK's own ML-DSA-65 / ML-KEM-768 keygen (JDK 24+) and X25519, by JCA name. */
    private static void jdk(double budgetSeconds) throws Exception {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("ML-DSA-65");
            java.security.KeyPair kp = g.generateKeyPair();
            PrivateKey priv = kp.getPrivate();
            PublicKey pub = kp.getPublic();
            Signature s = Signature.getInstance("ML-DSA-65");
            s.initSign(priv);
            s.update(TRANSCRIPT);
            byte[] sig = s.sign();
            CpuCost.report("jdk ml-dsa-65 sign", budgetSeconds, () -> {
                s.initSign(priv);
                s.update(TRANSCRIPT);
                return s.sign();
            });
            Signature v = Signature.getInstance("ML-DSA-65");
            CpuCost.report("jdk ml-dsa-65 verify", budgetSeconds, () -> {
                v.initVerify(pub);
                v.update(TRANSCRIPT);
                return v.verify(sig);
            });
            KeyPairGenerator kg = KeyPairGenerator.getInstance("ML-KEM-768");
            CpuCost.report("jdk ml-kem-768 keygen", budgetSeconds, kg::generateKeyPair);
        } catch (java.security.NoSuchAlgorithmException e) {
            System.out.println("jdk ml-dsa / ml-kem: not in this JDK (" + e.getMessage() + ")");
        }
        KeyPairGenerator xg = KeyPairGenerator.getInstance("X25519");
        java.security.KeyPair a = xg.generateKeyPair();
        java.security.KeyPair b = xg.generateKeyPair();
        CpuCost.report("jdk x25519 keygen", budgetSeconds, xg::generateKeyPair);
        CpuCost.report("jdk x25519 agree", budgetSeconds, () -> {
            javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("X25519");
            ka.init(a.getPrivate());
            ka.doPhase(b.getPublic(), true);
            return ka.generateSecret();
        });
    }

    private HandshakeCpuCost() {
    }
}
