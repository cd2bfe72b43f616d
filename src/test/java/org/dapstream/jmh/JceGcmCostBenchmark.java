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

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;

/**
 * Where the per-frame cost of SunJCE AES-256-GCM goes for a 64-byte frame: {@code init}
 * alone (same key object, fresh nonce), {@code init} with a new key object each time (does
 * SunJCE redo the AES key expansion?), and the full init + AAD + doFinal, with a reused
 * {@code Cipher} versus {@code Cipher.getInstance} per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JceGcmCostBenchmark {
    private final byte[] keyBytes = new byte[32];
    private final byte[] iv = new byte[12];
    private final byte[] aad = new byte[12];
    private final byte[] frame = new byte[64 + 16];
    private SecretKeySpec key;
    private Cipher cipher;
    private int counter;

    @Setup
    public void setUp() throws GeneralSecurityException {
        keyBytes[0] = 7;
        key = new SecretKeySpec(keyBytes, "AES");
        cipher = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    }

    private GCMParameterSpec nextNonce() {
        int c = ++counter;
        iv[8] = (byte) c;
        iv[9] = (byte) (c >>> 8);
        iv[10] = (byte) (c >>> 16);
        iv[11] = (byte) (c >>> 24);
        return new GCMParameterSpec(128, iv);
    }

    @Benchmark
    public Cipher initSameKey() throws GeneralSecurityException {
        cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
        return cipher;
    }

    @Benchmark
    public Cipher initNewKeyObject() throws GeneralSecurityException {
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keyBytes, "AES"), nextNonce());
        return cipher;
    }

    @Benchmark
    public int seal64ReusedCipher() throws GeneralSecurityException {
        cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
        cipher.updateAAD(aad, 0, 12);
        return cipher.doFinal(frame, 0, 64, frame, 0);
    }

    @Benchmark
    public int seal64NewCipher() throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        c.init(Cipher.ENCRYPT_MODE, key, nextNonce());
        c.updateAAD(aad, 0, 12);
        return c.doFinal(frame, 0, 64, frame, 0);
    }
}
