package org.dapstream.crypto;

/**
 * One direction's secret chain: epoch {@code e}'s secret gives that epoch's key and IV, and
 * the next epoch's secret; a used secret is wiped as soon as the next one exists, so a key
 * compromised later does not open earlier traffic.
 */
public final class TrafficSecret implements AutoCloseable {
    private final AeadSuite suite;
    private byte[] secret;
    private int epoch;

    TrafficSecret(AeadSuite suite, byte[] secret) {
        this.suite = suite;
        this.secret = secret;
    }

    public int epoch() {
        return epoch;
    }

    public AeadSuite suite() {
        return suite;
    }

    /** The cipher of the current epoch: key = Expand(secret, KEY, 32), iv = Expand(secret, IV, 12). */
    public FrameCipher cipher() {
        byte[] key = Hkdf.expand(secret, KeySchedule.KEY, KeySchedule.KEY_SIZE);
        byte[] iv = Hkdf.expand(secret, KeySchedule.IV, KeySchedule.IV_SIZE);
        try {
            return FrameCipher.create(suite, key, iv, epoch);
        } finally {
            Secrets.wipe(key, iv);
        }
    }

    /** Moves to the next epoch (secret = Expand(secret, UPDATE, 32)) and returns its cipher. */
    public FrameCipher next() {
        byte[] nextSecret = Hkdf.expand(secret, KeySchedule.UPDATE, KeySchedule.KEY_SIZE);
        Secrets.wipe(secret);
        secret = nextSecret;
        epoch++;
        return cipher();
    }

    @Override
    public void close() {
        Secrets.wipe(secret);
    }
}
