package org.dapstream.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;

/**
 * Seals and opens DAP frames in place for one direction of one stream, under one key and
 * one key epoch. Not thread-safe: a stream's event loop owns it.
 *
 * <h2>Frame</h2>
 * An encrypted frame is the 12-byte little-endian header (u32 size, u8 type, u32 seq_id,
 * u16 ch_id, u8 flags) whose {@code size} is the ciphertext length plus {@link #TAG_SIZE}
 * and whose flags carry {@code ENCRYPTED}, then the ciphertext, then the 16-byte tag. The
 * associated data is exactly those 12 header bytes, so changing any header field (size,
 * type, seq, channel, flags) makes the frame fail to open.
 *
 * <h2>Nonce</h2>
 * <pre>
 *   nonce (12 bytes) = staticIv XOR ( ch_id u16 LE || 0x00 0x00 || epoch u32 LE || seq_id u32 LE )
 *                       bytes 0..1      2..3         4..7             8..11
 * </pre>
 * {@code staticIv} comes from the key schedule, one per direction. The nonce never repeats
 * under one key as long as the caller never seals two frames with the same (ch_id, seq_id)
 * in one epoch: per-channel sequence numbers are strictly increasing and the stream rekeys
 * (new epoch or new key) before any seq_id could wrap. SunJCE additionally refuses to
 * encrypt twice in a row with the same key and IV; {@link #seal} turns that into an
 * {@link IllegalStateException} rather than ever reusing a nonce.
 *
 * <h2>Cost</h2>
 * One {@link Cipher} per direction, initialised per frame with a fresh nonce. The key object
 * stays the same, so SunJCE's AES key schedule is computed once and reused. Heap buffers go
 * through the {@code byte[]} API in place (no copy). Direct buffers are copied into a
 * per-thread heap array, processed there and copied back: SunJCE's {@code ByteBuffer} path
 * for direct memory measured 1.1x (JDK 17) to 2.8x (JDK 25) slower than the array path for
 * 64 KiB, far more than the two copies cost. Opening a bulk AES-GCM frame decrypts into the
 * staging array and copies the plaintext back ({@link #OPEN_OUT_OF_PLACE}): SunJCE's one-pass
 * decryption does not run in place. A sender whose plaintext is elsewhere (the caller's array)
 * seals from it ({@link #seal(ByteBuffer, int, ByteBuffer, int, int)}) and saves two copies.
 * The only per-frame allocations left are inside
 * the JCE (the parameter spec with its IV clone, SunJCE's per-init GCM engine with its GHASH
 * and counter state, about 0.9 KB); see docs/DECISIONS.md for the measurements.
 */
public final class FrameCipher implements AutoCloseable {
    /** Bytes of the authentication tag at the end of every encrypted payload. */
    public static final int TAG_SIZE = 16;
    /** Bytes of the frame header, which is the associated data. */
    public static final int HEADER_SIZE = 12;
    /** The header flag bit that marks an encrypted frame (the protocol's {@code Flags.ENCRYPTED}). */
    static final int FLAG_ENCRYPTED = 0b0000_0010;
    /** The provider whose AES-GCM is intrinsified in HotSpot; pinned so no other provider slips in first. */
    static final String PROVIDER = "SunJCE";

    private static final int OFFSET_SIZE = 0;
    private static final int OFFSET_TYPE = 4;
    private static final int OFFSET_SEQ = 5;
    private static final int OFFSET_CHANNEL = 9;
    private static final int OFFSET_FLAGS = 11;
    /** Initial size of the per-thread staging array for direct buffers: a 64-byte frame's worth and then some; it grows on demand. */
    static final int INITIAL_STAGING = 4096;
    /** Per thread: the staging array, and a second one that opening direct memory decrypts into (see {@link #OPEN_OUT_OF_PLACE}), made on first use. */
    private static final ThreadLocal<byte[][]> STAGING = ThreadLocal.withInitial(() -> new byte[][] {new byte[INITIAL_STAGING], null});
    /**
     * Whether {@link #open} decrypts into another array (then copies the plaintext back) instead of
     * in place. SunJCE from JDK 18 on decrypts in one interleaved pass (AES-CTR and GHASH
     * together, the AVX-512/VAES intrinsic) only when input and output are different arrays;
     * in place it makes two passes. Measured for 64 KiB on JDK 25 (AMD EPYC with VAES): 14.7 µs
     * in place against 7.1-7.5 µs out of place including the copy back. JDK 17 has no
     * interleaved decryption: out of place would only add the copy (+1 µs), so it stays in place;
     * so does ChaCha20-Poly1305, which has no such pass.
     */
    static final boolean OPEN_OUT_OF_PLACE = Runtime.version().feature() >= 18;
    /**
     * Smallest encrypted payload opened out of place: SunJCE takes its one-pass route from 512
     * bytes on (its {@code PARALLEL_LEN}); below, out of place would only add a copy.
     */
    static final int OPEN_OUT_OF_PLACE_MIN = 512;

    private final AeadSuite suite;
    private final int epoch;
    private final Cipher cipher;
    /** {@link #OPEN_OUT_OF_PLACE} for AES-GCM. */
    private final boolean openOutOfPlace;
    private SecretKeySpec key;
    /** staticIv XOR (0, 0, 0, 0, epoch LE, 0, 0, 0, 0): the per-frame part is XORed in on top. */
    private final byte[] nonceBase;
    /** Scratch for the per-frame nonce; the parameter spec copies it. */
    private final byte[] nonce = new byte[AeadSuite.NONCE_SIZE];
    /** Scratch for the associated data rebuilt from the received header fields. */
    private final byte[] aad = new byte[HEADER_SIZE];
    private boolean closed;

    private FrameCipher(AeadSuite suite, byte[] key32, byte[] staticIv12, int epoch) throws GeneralSecurityException {
        this.suite = suite;
        this.epoch = epoch;
        this.cipher = Cipher.getInstance(suite.transformation(), PROVIDER);
        this.openOutOfPlace = OPEN_OUT_OF_PLACE && suite == AeadSuite.AES_256_GCM;
        this.key = new SecretKeySpec(key32, suite == AeadSuite.AES_256_GCM ? "AES" : "ChaCha20");
        this.nonceBase = staticIv12.clone();
        nonceBase[4] ^= (byte) epoch;
        nonceBase[5] ^= (byte) (epoch >>> 8);
        nonceBase[6] ^= (byte) (epoch >>> 16);
        nonceBase[7] ^= (byte) (epoch >>> 24);
    }

    /**
     * A cipher for one direction. The inputs are copied; the caller should wipe its own
     * copies. {@code epoch} is the key epoch (0 for the handshake's first keys).
     */
    public static FrameCipher create(AeadSuite suite, byte[] key32, byte[] staticIv12, int epoch) {
        if (suite == null) {
            throw new IllegalArgumentException("AEAD suite is required");
        }
        if (key32 == null || key32.length != AeadSuite.KEY_SIZE) {
            throw new IllegalArgumentException("frame key must be " + AeadSuite.KEY_SIZE + " bytes, got "
                    + (key32 == null ? "none" : key32.length));
        }
        if (staticIv12 == null || staticIv12.length != AeadSuite.NONCE_SIZE) {
            throw new IllegalArgumentException("static IV must be " + AeadSuite.NONCE_SIZE + " bytes, got "
                    + (staticIv12 == null ? "none" : staticIv12.length));
        }
        try {
            return new FrameCipher(suite, key32, staticIv12, epoch);
        } catch (GeneralSecurityException e) {
            // SunJCE ships with every JDK we run on (and native images keep it); missing means a broken runtime.
            throw new IllegalStateException(suite.transformation() + " is not available from " + PROVIDER, e);
        }
    }

    public AeadSuite suite() {
        return suite;
    }

    public int epoch() {
        return epoch;
    }

    /**
     * Encrypts the frame at {@code buf[at .. at+12+plainLen)} in place and writes the tag
     * right after it. The header there must already carry {@code size = plainLen + 16} and
     * the ENCRYPTED flag; {@code buf}'s capacity (not its limit) must have room for the tag.
     * Does not move the buffer's position or limit.
     *
     * @throws IllegalArgumentException when the header does not match (a bug in the caller)
     * @throws IllegalStateException    when the cipher is closed, or the JCE refuses the nonce
     *                                  (the same (ch_id, seq_id) sealed twice in a row)
     */
    public void seal(ByteBuffer buf, int at, int plainLen) {
        ensureOpen();
        int end = at + HEADER_SIZE + plainLen + TAG_SIZE;
        if (at < 0 || plainLen < 0 || end > buf.capacity() || end < 0) {
            throw new IllegalArgumentException("frame at " + at + " with " + plainLen
                    + " plaintext bytes and its tag does not fit a buffer of capacity " + buf.capacity());
        }
        // The tag goes past the plaintext: lift a limit that ends earlier (a view of the bytes
        // written so far) for the absolute reads and writes below, and put it back after.
        int limit = buf.limit();
        if (limit < end) {
            buf.limit(end);
        }
        try {
            sealWithin(buf, at, plainLen);
        } finally {
            if (limit < end) {
                buf.limit(limit);
            }
        }
    }

    private void sealWithin(ByteBuffer buf, int at, int plainLen) {
        int seq = checkedSeq(buf, at, plainLen);
        int chId = (buf.get(at + OFFSET_CHANNEL) & 0xFF) | (buf.get(at + OFFSET_CHANNEL + 1) & 0xFF) << 8;
        init(Cipher.ENCRYPT_MODE, chId, seq);
        try {
            if (buf.hasArray() && !buf.isReadOnly()) {
                byte[] a = buf.array();
                int base = buf.arrayOffset() + at;
                cipher.updateAAD(a, base, HEADER_SIZE);
                cipher.doFinal(a, base + HEADER_SIZE, plainLen, a, base + HEADER_SIZE);
            } else {
                // Direct memory: staged through a heap array (see the class comment for why).
                byte[] s = staging(HEADER_SIZE + plainLen + TAG_SIZE);
                buf.get(at, s, 0, HEADER_SIZE + plainLen);
                cipher.updateAAD(s, 0, HEADER_SIZE);
                int n = cipher.doFinal(s, HEADER_SIZE, plainLen, s, HEADER_SIZE);
                buf.put(at + HEADER_SIZE, s, HEADER_SIZE, n);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(suite + " seal failed on channel " + chId + " seq " + Integer.toUnsignedString(seq), e);
        }
    }

    /**
     * Seals a frame whose plaintext is not yet in it: encrypts {@code source[from .. from+plainLen)}
     * into {@code out} after the header at {@code at}, and writes the tag after the ciphertext.
     * The wire bytes are exactly those of copying the plaintext in and calling
     * {@link #seal(ByteBuffer, int, int)}; the difference is the copies. Into direct memory
     * (the transport's batch) from a heap source that is one copy (the ciphertext, from the
     * staging array) instead of three (plaintext in, out to staging, ciphertext back); into a
     * heap frame from a heap source, none. The header rules are those of {@link #seal(ByteBuffer, int, int)};
     * {@code source} must not overlap the frame's payload. Moves no position or limit.
     *
     * @throws IllegalArgumentException when the header does not match, the frame does not fit
     *                                  {@code out}'s capacity or the source range is out of bounds
     * @throws IllegalStateException    as {@link #seal(ByteBuffer, int, int)}
     */
    public void seal(ByteBuffer out, int at, ByteBuffer source, int from, int plainLen) {
        if (from < 0 || from + plainLen > source.limit() || from + plainLen < 0) {
            throw new IllegalArgumentException("source range " + from + "+" + plainLen + " is outside its limit " + source.limit());
        }
        if (source.hasArray() && !source.isReadOnly()) {
            sealFrom(out, at, source.array(), source.arrayOffset() + from, null, plainLen);
        } else {
            sealFrom(out, at, null, 0, source.duplicate().limit(from + plainLen).position(from), plainLen);
        }
    }

    /** {@link #seal(ByteBuffer, int, ByteBuffer, int, int)} from {@code source[from .. from+plainLen)}. */
    public void seal(ByteBuffer out, int at, byte[] source, int from, int plainLen) {
        if (from < 0 || from + plainLen > source.length || from + plainLen < 0) {
            throw new IllegalArgumentException("source range " + from + "+" + plainLen + " is outside an array of " + source.length);
        }
        sealFrom(out, at, source, from, null, plainLen);
    }

    /** Seals from {@code array[from ..]} or, when that is null, from what remains in {@code direct}. */
    private void sealFrom(ByteBuffer out, int at, byte[] array, int from, ByteBuffer direct, int plainLen) {
        ensureOpen();
        int end = at + HEADER_SIZE + plainLen + TAG_SIZE;
        if (at < 0 || plainLen < 0 || end > out.capacity() || end < 0) {
            throw new IllegalArgumentException("frame at " + at + " with " + plainLen
                    + " plaintext bytes and its tag does not fit a buffer of capacity " + out.capacity());
        }
        int limit = out.limit();
        if (limit < end) {
            out.limit(end);
        }
        try {
            int seq = checkedSeq(out, at, plainLen);
            int chId = (out.get(at + OFFSET_CHANNEL) & 0xFF) | (out.get(at + OFFSET_CHANNEL + 1) & 0xFF) << 8;
            init(Cipher.ENCRYPT_MODE, chId, seq);
            try {
                if (out.hasArray() && !out.isReadOnly()) {
                    byte[] a = out.array();
                    int base = out.arrayOffset() + at;
                    cipher.updateAAD(a, base, HEADER_SIZE);
                    if (array != null) {
                        cipher.doFinal(array, from, plainLen, a, base + HEADER_SIZE);
                    } else {
                        direct.get(direct.position(), a, base + HEADER_SIZE, plainLen);
                        cipher.doFinal(a, base + HEADER_SIZE, plainLen, a, base + HEADER_SIZE);
                    }
                } else {
                    // Direct memory: the ciphertext is made in the staging array and copied out once.
                    byte[] s = staging(HEADER_SIZE + plainLen + TAG_SIZE);
                    out.get(at, s, 0, HEADER_SIZE);
                    cipher.updateAAD(s, 0, HEADER_SIZE);
                    int n;
                    if (array != null) {
                        n = cipher.doFinal(array, from, plainLen, s, HEADER_SIZE);
                    } else {
                        direct.get(direct.position(), s, HEADER_SIZE, plainLen);
                        n = cipher.doFinal(s, HEADER_SIZE, plainLen, s, HEADER_SIZE);
                    }
                    out.put(at + HEADER_SIZE, s, HEADER_SIZE, n);
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(suite + " seal failed on channel " + chId + " seq " + Integer.toUnsignedString(seq), e);
            }
        } finally {
            if (limit < end) {
                out.limit(limit);
            }
        }
    }

    /** The header's seq, once its size and flags are checked to be those of a frame to seal with {@code plainLen} bytes. */
    private static int checkedSeq(ByteBuffer buf, int at, int plainLen) {
        int size = (buf.get(at + OFFSET_SIZE) & 0xFF) | (buf.get(at + OFFSET_SIZE + 1) & 0xFF) << 8
                | (buf.get(at + OFFSET_SIZE + 2) & 0xFF) << 16 | (buf.get(at + OFFSET_SIZE + 3) & 0xFF) << 24;
        int flags = buf.get(at + OFFSET_FLAGS);
        if (size != plainLen + TAG_SIZE || (flags & FLAG_ENCRYPTED) == 0) {
            throw new IllegalArgumentException("header to seal must carry size " + (plainLen + TAG_SIZE)
                    + " and the ENCRYPTED flag, has size " + Integer.toUnsignedString(size)
                    + " flags 0x" + Integer.toHexString(flags & 0xFF));
        }
        return (buf.get(at + OFFSET_SEQ) & 0xFF) | (buf.get(at + OFFSET_SEQ + 1) & 0xFF) << 8
                | (buf.get(at + OFFSET_SEQ + 2) & 0xFF) << 16 | (buf.get(at + OFFSET_SEQ + 3) & 0xFF) << 24;
    }

    /**
     * Opens an encrypted frame in place. The header fields are as received; {@code payload}
     * holds exactly {@code size} bytes between its position and limit (ciphertext then tag).
     * On success the plaintext is at {@code payload[position .. position+size-16)} and the
     * result is its length; position and limit are unchanged.
     *
     * @throws AeadFailure when {@code size < 16} or the tag does not verify; the payload then
     *                     holds no plaintext: the ciphertext as received, or zeros (a heap
     *                     buffer on JDK 25, whose SunJCE decrypts in place before checking)
     */
    public int open(int size, int type, int seq, int chId, int flags, ByteBuffer payload) throws AeadFailure {
        ensureOpen();
        if (size < TAG_SIZE) {
            throw new AeadFailure("encrypted frame payload of " + Integer.toUnsignedString(size)
                    + " bytes is shorter than the " + TAG_SIZE + "-byte tag");
        }
        if (payload.remaining() != size) {
            throw new IllegalArgumentException("payload view holds " + payload.remaining() + " bytes, header size is " + size);
        }
        aad[0] = (byte) size;
        aad[1] = (byte) (size >>> 8);
        aad[2] = (byte) (size >>> 16);
        aad[3] = (byte) (size >>> 24);
        aad[4] = (byte) type;
        aad[5] = (byte) seq;
        aad[6] = (byte) (seq >>> 8);
        aad[7] = (byte) (seq >>> 16);
        aad[8] = (byte) (seq >>> 24);
        aad[9] = (byte) chId;
        aad[10] = (byte) (chId >>> 8);
        aad[11] = (byte) flags;
        init(Cipher.DECRYPT_MODE, chId, seq);
        try {
            cipher.updateAAD(aad, 0, HEADER_SIZE);
            if (payload.hasArray() && !payload.isReadOnly()) {
                byte[] a = payload.array();
                int off = payload.arrayOffset() + payload.position();
                if (openOutOfPlace && size >= OPEN_OUT_OF_PLACE_MIN) {
                    // Into the staging array, then the plaintext back over the ciphertext: nothing
                    // is written to the payload unless the tag verified.
                    byte[] s = staging(size);
                    int n;
                    try {
                        n = cipher.doFinal(a, off, size, s, 0);
                    } catch (GeneralSecurityException e) {
                        Arrays.fill(s, 0, size, (byte) 0);
                        throw e;
                    }
                    System.arraycopy(s, 0, a, off, n);
                    return n;
                }
                try {
                    return cipher.doFinal(a, off, size, a, off);
                } catch (GeneralSecurityException e) {
                    // JDK 25's SunJCE GCM decrypts in place BEFORE it checks the tag and leaves that
                    // plaintext behind when the check fails (JDK 17 does not): zero it.
                    Arrays.fill(a, off, off + size, (byte) 0);
                    throw e;
                }
            }
            // Direct memory: staged through a heap array; plaintext is copied back only once the tag verified.
            byte[] s = staging(size);
            byte[] plain = openOutOfPlace && size >= OPEN_OUT_OF_PLACE_MIN ? secondStaging(size) : s;
            int from = payload.position();
            payload.get(from, s, 0, size);
            int n;
            try {
                n = cipher.doFinal(s, 0, size, plain, 0);
            } catch (GeneralSecurityException e) {
                Arrays.fill(s, 0, size, (byte) 0);
                Arrays.fill(plain, 0, size, (byte) 0);
                throw e;
            }
            payload.put(from, plain, 0, n);
            return n;
        } catch (javax.crypto.AEADBadTagException e) {
            throw new AeadFailure("encrypted frame failed authentication (" + suite + ", channel " + (chId & 0xFFFF)
                    + ", seq " + Integer.toUnsignedString(seq) + ")");
        } catch (GeneralSecurityException e) {
            throw new AeadFailure("encrypted frame could not be opened (" + suite + "): " + e.getClass().getSimpleName());
        }
    }

    /** Wipes the key and IV material this object owns; later use throws {@link IllegalStateException}. */
    /** True once {@link #close()} wiped the key: sealing or opening then fails. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Secrets.wipe(nonceBase, nonce, aad);
        // SecretKeySpec and SunJCE's expanded key keep private copies that no public API can zero;
        // dropping the references is the most we can do for those.
        key = null;
    }

    @Override
    public String toString() {
        return "FrameCipher[" + suite + ", epoch " + epoch + (closed ? ", closed]" : "]");
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("frame cipher is closed");
        }
    }

    private void init(int mode, int chId, int seq) {
        byte[] n = nonce;
        byte[] b = nonceBase;
        n[0] = (byte) (b[0] ^ chId);
        n[1] = (byte) (b[1] ^ (chId >>> 8));
        n[2] = b[2];
        n[3] = b[3];
        n[4] = b[4];
        n[5] = b[5];
        n[6] = b[6];
        n[7] = b[7];
        n[8] = (byte) (b[8] ^ seq);
        n[9] = (byte) (b[9] ^ (seq >>> 8));
        n[10] = (byte) (b[10] ^ (seq >>> 16));
        n[11] = (byte) (b[11] ^ (seq >>> 24));
        AlgorithmParameterSpec spec = suite == AeadSuite.AES_256_GCM
                ? new GCMParameterSpec(TAG_SIZE * 8, n)
                : new IvParameterSpec(n);
        try {
            cipher.init(mode, key, spec);
        } catch (GeneralSecurityException e) {
            if (mode == Cipher.DECRYPT_MODE) {
                // SunJCE's ChaCha20 refuses the previous key and nonce even for decryption, which
                // opening one (channel, seq) twice in a row needs (a retried or replayed frame, which
                // must fail as a bad frame, not as a broken cipher). Step through another nonce once.
                n[0] ^= 1;
                try {
                    cipher.init(mode, key, new IvParameterSpec(n));
                    n[0] ^= 1;
                    cipher.init(mode, key, spec);
                    return;
                } catch (GeneralSecurityException again) {
                    e.addSuppressed(again);
                }
            }
            // SunJCE refuses an encryption init that repeats the previous key and nonce.
            throw new IllegalStateException(suite + " refused the nonce for channel " + (chId & 0xFFFF) + " seq "
                    + Integer.toUnsignedString(seq) + " (was this (channel, seq) sealed twice?)", e);
        }
    }

    /**
     * The calling thread's staging array, at least {@code n} bytes. One per thread, not per
     * cipher: a stream's ciphers run on its event loop, and thousands of streams must not
     * each hold a frame-sized array. It keeps the last frame's bytes (ciphertext and
     * plaintext, never keys) until the next frame overwrites them.
     */
    private static byte[] staging(int n) {
        byte[][] holder = STAGING.get();
        byte[] s = holder[0];
        if (s.length < n) {
            s = new byte[Math.max(n, s.length * 2)];
            holder[0] = s;
        }
        return s;
    }

    /** The calling thread's second staging array, at least {@code n} bytes: a separate output for opening direct memory. */
    private static byte[] secondStaging(int n) {
        byte[][] holder = STAGING.get();
        byte[] s = holder[1];
        if (s == null || s.length < n) {
            s = new byte[Math.max(n, s == null ? INITIAL_STAGING : s.length * 2)];
            holder[1] = s;
        }
        return s;
    }

}
