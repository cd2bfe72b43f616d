package org.dapstream.jmh;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.SecretWithEncapsulation;
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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The public-key operations of one handshake, in Bouncy Castle's lightweight API as the
 * handshake uses them: ML-KEM-768 keygen / encapsulate / decapsulate, X25519 keygen and
 * agreement, ML-DSA-65 and Ed25519 sign / verify (through {@link NodeIdentity} and
 * {@link Signatures}). Microseconds per operation, one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HandshakePrimitivesBenchmark {
    /** About the size of a handshake transcript hash input the signature covers. */
    private static final byte[] TRANSCRIPT = new byte[32];

    private final SecureRandom random = new SecureRandom();
    private MLKEMKeyPairGenerator kemGenerator;
    private MLKEMPublicKeyParameters kemPublic;
    private MLKEMPrivateKeyParameters kemPrivate;
    private byte[] kemCiphertext;
    private X25519KeyPairGenerator x25519Generator;
    private AsymmetricCipherKeyPair x25519Mine;
    private X25519PublicKeyParameters x25519Peer;
    private NodeIdentity mlDsa;
    private byte[] mlDsaPublic;
    private byte[] mlDsaSignature;
    private NodeIdentity ed25519;
    private byte[] ed25519Public;
    private byte[] ed25519Signature;

    @Setup
    public void setUp() {
        kemGenerator = new MLKEMKeyPairGenerator();
        kemGenerator.init(new MLKEMKeyGenerationParameters(random, MLKEMParameters.ml_kem_768));
        AsymmetricCipherKeyPair kem = kemGenerator.generateKeyPair();
        kemPublic = (MLKEMPublicKeyParameters) kem.getPublic();
        kemPrivate = (MLKEMPrivateKeyParameters) kem.getPrivate();
        kemCiphertext = new MLKEMGenerator(random).generateEncapsulated(kemPublic).getEncapsulation();
        x25519Generator = new X25519KeyPairGenerator();
        x25519Generator.init(new X25519KeyGenerationParameters(random));
        x25519Mine = x25519Generator.generateKeyPair();
        x25519Peer = (X25519PublicKeyParameters) x25519Generator.generateKeyPair().getPublic();
        mlDsa = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random);
        mlDsaPublic = mlDsa.publicKey();
        mlDsaSignature = mlDsa.sign(TRANSCRIPT);
        ed25519 = NodeIdentity.generate(SignatureAlgorithm.ED25519, random);
        ed25519Public = ed25519.publicKey();
        ed25519Signature = ed25519.sign(TRANSCRIPT);
    }

    @TearDown
    public void tearDown() {
        mlDsa.close();
        ed25519.close();
    }

    @Benchmark
    public AsymmetricCipherKeyPair mlKem768KeyGen() {
        return kemGenerator.generateKeyPair();
    }

    @Benchmark
    public byte[] mlKem768Encapsulate() {
        SecretWithEncapsulation s = new MLKEMGenerator(random).generateEncapsulated(kemPublic);
        return s.getSecret();
    }

    @Benchmark
    public byte[] mlKem768Decapsulate() {
        return new MLKEMExtractor(kemPrivate).extractSecret(kemCiphertext);
    }

    @Benchmark
    public AsymmetricCipherKeyPair x25519KeyGen() {
        return x25519Generator.generateKeyPair();
    }

    @Benchmark
    public byte[] x25519Agree() {
        X25519Agreement a = new X25519Agreement();
        a.init(x25519Mine.getPrivate());
        byte[] out = new byte[a.getAgreementSize()];
        a.calculateAgreement(x25519Peer, out, 0);
        return out;
    }

    @Benchmark
    public byte[] mlDsa65Sign() {
        return mlDsa.sign(TRANSCRIPT);
    }

    @Benchmark
    public boolean mlDsa65Verify() {
        return Signatures.verify(SignatureAlgorithm.ML_DSA_65, mlDsaPublic, TRANSCRIPT, mlDsaSignature);
    }

    @Benchmark
    public byte[] ed25519Sign() {
        return ed25519.sign(TRANSCRIPT);
    }

    @Benchmark
    public boolean ed25519Verify() {
        return Signatures.verify(SignatureAlgorithm.ED25519, ed25519Public, TRANSCRIPT, ed25519Signature);
    }
}
