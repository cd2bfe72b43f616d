package org.dapstream.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.KeyAgreement;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's own implementations, for comparison with Bouncy Castle: ML-DSA-65 sign/verify
 * and ML-KEM-768 key generation (JDK 24+, looked up by JCA name so this compiles for
 * release 17; {@code javax.crypto.KEM} is JDK 21+ API and is not used here), and X25519
 * (JDK 11+). On JDK 17 the ML-* benchmarks fail in setup with NoSuchAlgorithmException:
 * run them on JDK 25 ({@code -Djmh.java=...}), e.g. {@code -Djmh.args="JdkPqc"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JdkPqcBenchmark {
    private static final byte[] TRANSCRIPT = new byte[32];

    @State(Scope.Thread)
    public static class MlDsa {
        KeyPair keys;
        Signature signer;
        Signature verifier;
        byte[] signature;

        @Setup
        public void setUp() throws GeneralSecurityException {
            keys = KeyPairGenerator.getInstance("ML-DSA-65").generateKeyPair();
            signer = Signature.getInstance("ML-DSA-65");
            verifier = Signature.getInstance("ML-DSA-65");
            signer.initSign(keys.getPrivate());
            signer.update(TRANSCRIPT);
            signature = signer.sign();
        }
    }

    @State(Scope.Thread)
    public static class MlKem {
        KeyPairGenerator generator;

        @Setup
        public void setUp() throws GeneralSecurityException {
            generator = KeyPairGenerator.getInstance("ML-KEM-768");
        }
    }

    @State(Scope.Thread)
    public static class X25519 {
        KeyPairGenerator generator;
        KeyPair mine;
        KeyPair peer;

        @Setup
        public void setUp() throws GeneralSecurityException {
            generator = KeyPairGenerator.getInstance("X25519");
            mine = generator.generateKeyPair();
            peer = generator.generateKeyPair();
        }
    }

    @Benchmark
    public byte[] mlDsa65Sign(MlDsa s) throws GeneralSecurityException {
        s.signer.initSign(s.keys.getPrivate());
        s.signer.update(TRANSCRIPT);
        return s.signer.sign();
    }

    @Benchmark
    public boolean mlDsa65Verify(MlDsa s) throws GeneralSecurityException {
        s.verifier.initVerify(s.keys.getPublic());
        s.verifier.update(TRANSCRIPT);
        return s.verifier.verify(s.signature);
    }

    @Benchmark
    public KeyPair mlKem768KeyGen(MlKem s) {
        return s.generator.generateKeyPair();
    }

    @Benchmark
    public KeyPair x25519KeyGen(X25519 s) {
        return s.generator.generateKeyPair();
    }

    @Benchmark
    public byte[] x25519Agree(X25519 s) throws GeneralSecurityException {
        KeyAgreement a = KeyAgreement.getInstance("X25519");
        a.init(s.mine.getPrivate());
        a.doPhase(s.peer.getPublic(), true);
        return a.generateSecret();
    }
}
