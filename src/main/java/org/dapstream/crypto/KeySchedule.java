package org.dapstream.crypto;

import java.nio.charset.StandardCharsets;

/**
 * The labels and steps of the key schedule (docs/PROTOCOL.md §21), in one place. All HKDF
 * is HKDF-SHA-256; {@code ||} is concatenation.
 */
public final class KeySchedule {
    public static final String CLIENT_FINISHED = "dap-stream v1 client finished";
    public static final String SERVER_FINISHED = "dap-stream v1 server finished";
    public static final String C2S_TRAFFIC = "dap-stream v1 c2s traffic";
    public static final String S2C_TRAFFIC = "dap-stream v1 s2c traffic";
    public static final String CHANNEL = "dap-stream v1 channel";
    public static final String CHANNEL_C2S = "dap-stream v1 channel c2s";
    public static final String CHANNEL_S2C = "dap-stream v1 channel s2c";
    public static final String KEY_CHECK = "dap-stream v1 key check";
    public static final String KEY = "dap-stream v1 key";
    public static final String IV = "dap-stream v1 iv";
    public static final String UPDATE = "dap-stream v1 update";
    public static final String SERVER_SIGNATURE = "dap-stream v1 server signature";
    public static final String CLIENT_SIGNATURE = "dap-stream v1 client signature";
    /** resumption_base = Expand(master, RESUMPTION, 32): kept by both sides for the session's tickets. */
    public static final String RESUMPTION = "dap-stream v1 resumption";
    /** resumption_secret(n) = Expand(resumption_base, RESUMPTION_TICKET || n u32 LE, 32). */
    public static final String RESUMPTION_TICKET = "dap-stream v1 resumption ticket";
    /** binder_key = Expand(resumption_secret, RESUME_BINDER, 32). */
    public static final String RESUME_BINDER = "dap-stream v1 resume binder";
    /** A ticket's AES-256-GCM associated data: this label, then the key id byte. */
    public static final String TICKET_AAD = "dap-stream v1 ticket";
    /**
     * Bytes of every key and traffic secret the schedule derives: the AEAD key size (AES-256 and
     * ChaCha20 alike), which is also one SHA-256 output, so each derivation is one HKDF block.
     */
    public static final int KEY_SIZE = AeadSuite.KEY_SIZE;
    public static final int IV_SIZE = 12;

    private KeySchedule() {
    }

    /** hs_secret = HKDF-Extract(salt = SHA-256(CH || SH), ikm = ML-KEM secret || X25519 secret). */
    static byte[] handshakeSecret(byte[] helloHash, byte[] sharedSecret) {
        return Hkdf.extract(helloHash, sharedSecret);
    }

    /** master = HKDF-Extract(salt = SHA-256(CH || SH || CF || SF), ikm = hs_secret). */
    static byte[] masterSecret(byte[] fullHash, byte[] handshakeSecret) {
        return Hkdf.extract(fullHash, handshakeSecret);
    }

    /**
     * hs_secret of a resumption = HKDF-Extract(salt = SHA-256(RH || RA without its mac),
     * ikm = resumption_secret || ML-KEM secret || X25519 secret).
     */
    static byte[] resumeHandshakeSecret(byte[] helloHash, byte[] resumptionSecret, byte[] sharedSecret) {
        byte[] ikm = new byte[resumptionSecret.length + sharedSecret.length];
        System.arraycopy(resumptionSecret, 0, ikm, 0, resumptionSecret.length);
        System.arraycopy(sharedSecret, 0, ikm, resumptionSecret.length, sharedSecret.length);
        try {
            return Hkdf.extract(helloHash, ikm);
        } finally {
            Secrets.wipe(ikm);
        }
    }

    /** binder = HMAC(Expand(resumption_secret, RESUME_BINDER, 32), SHA-256(RH without its last 32 bytes)). */
    static byte[] binder(byte[] resumptionSecret, byte[] resumeHello) {
        byte[] binderKey = Hkdf.expand(resumptionSecret, RESUME_BINDER, KEY_SIZE);
        try {
            Transcript t = new Transcript();
            return Hkdf.hmac(binderKey, t.hashWith(resumeHello, resumeHello.length - Hkdf.HASH_SIZE));
        } finally {
            Secrets.wipe(binderKey);
        }
    }

    /** A u32 as 4 bytes little-endian: the context of a resumption secret. */
    static byte[] u32Context(long n) {
        return new byte[]{(byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)};
    }

    /** What a signature covers: label || 0x00 || transcript hash. */
    static byte[] signedContent(String label, byte[] hash) {
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[l.length + 1 + hash.length];
        System.arraycopy(l, 0, out, 0, l.length);
        System.arraycopy(hash, 0, out, l.length + 1, hash.length);
        return out;
    }

    /** Requests either side may send on one stream: the count's top bit names the acceptor's requests. */
    public static final long MAX_CHANNEL_KEY_REQUESTS = 0x7FFF_FFFFL;
    private static final int ACCEPTOR_REQUEST = 0x8000_0000;

    /**
     * The generation {@code g} of a CHANNEL_KEY request: {@code n} for the connector's
     * {@code n}-th request on the stream, {@code 2^31 + n} for the acceptor's. Counted per
     * stream, not per channel, so a channel id that closes and opens again never derives
     * the same keys twice, and the two sides' requests never share a context.
     *
     * @param n the requester's count of CHANNEL_KEY messages it sent on the stream, 1 for its first
     */
    public static int channelKeyGeneration(long n, boolean byAcceptor) {
        if (n < 1 || n > MAX_CHANNEL_KEY_REQUESTS) {
            throw new IllegalArgumentException("CHANNEL_KEY request " + n + " is outside 1.." + MAX_CHANNEL_KEY_REQUESTS);
        }
        return (int) n | (byAcceptor ? ACCEPTOR_REQUEST : 0);
    }

    /** Channel context: ch_id u16 LE || generation u32 LE. */
    static byte[] channelContext(int channelId, int generation) {
        return new byte[]{(byte) channelId, (byte) (channelId >>> 8),
                (byte) generation, (byte) (generation >>> 8), (byte) (generation >>> 16), (byte) (generation >>> 24)};
    }
}
