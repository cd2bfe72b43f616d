package org.dapstream.crypto;

import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.security.SecureRandomSpi;

/**
 * A SecureRandom that hands out exactly the byte strings it was given: the i-th
 * {@code nextBytes} call must ask for the i-th string's length and gets that string. Any other
 * request (another length, one draw too many, seeds, reseeding, DRBG parameters) throws
 * IllegalStateException, and {@link #checkUsedUp()} throws if some string was not drawn. This is
 * how a JDK API that takes a SecureRandom gets the caller's bytes (HybridKem takes its
 * randomness as arrays so test vectors can fix it) while an implementation that draws in
 * another order, or more, fails loudly instead of silently changing the output.
 *
 * <p>Each string is copied in, and wiped once handed out or by {@link #wipe()}. One operation
 * on one thread; not for sharing.
 */
final class ExactBytesRandom extends SecureRandom {
    private final byte[][] draws;
    private int next;

    ExactBytesRandom(byte[]... draws) {
        super(new Refusing(), null);
        this.draws = new byte[draws.length][];
        for (int i = 0; i < draws.length; i++) {
            this.draws[i] = draws[i].clone();
        }
    }

    @Override
    public void nextBytes(byte[] bytes) {
        if (next == draws.length) {
            throw new IllegalStateException("asked for " + bytes.length + " more random bytes after all "
                    + draws.length + " given strings were drawn");
        }
        byte[] d = draws[next];
        if (bytes.length != d.length) {
            throw new IllegalStateException("draw " + (next + 1) + " of " + draws.length + " asked for "
                    + bytes.length + " random bytes; expected " + d.length);
        }
        System.arraycopy(d, 0, bytes, 0, d.length);
        Secrets.wipe(d);
        draws[next++] = null;
    }

    @Override
    public void nextBytes(byte[] bytes, SecureRandomParameters params) {
        throw new IllegalStateException("exact-bytes random: no DRBG parameters");
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        throw new IllegalStateException("exact-bytes random: no seeds");
    }

    @Override
    public void setSeed(byte[] seed) {
        throw new IllegalStateException("exact-bytes random: cannot be seeded");
    }

    @Override
    public void reseed() {
        throw new IllegalStateException("exact-bytes random: cannot be reseeded");
    }

    @Override
    public void reseed(SecureRandomParameters params) {
        throw new IllegalStateException("exact-bytes random: cannot be reseeded");
    }

    @Override
    public String getAlgorithm() {
        return "exact-bytes";
    }

    /** Throws if some given string was never drawn: the implementation used less than FIPS 203 says. */
    void checkUsedUp() {
        if (next != draws.length) {
            throw new IllegalStateException("only " + next + " of " + draws.length + " given random strings were drawn");
        }
    }

    /** Wipes whatever was not drawn (after a failure). */
    void wipe() {
        for (int i = next; i < draws.length; i++) {
            Secrets.wipe(draws[i]);
            draws[i] = null;
        }
        next = draws.length;
    }

    /** Backstop for any SecureRandom path that bypasses the overrides above. */
    private static final class Refusing extends SecureRandomSpi {
        @Override
        protected void engineSetSeed(byte[] seed) {
            throw new IllegalStateException("exact-bytes random: cannot be seeded");
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            throw new IllegalStateException("exact-bytes random: unexpected draw path");
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            throw new IllegalStateException("exact-bytes random: no seeds");
        }
    }
}
