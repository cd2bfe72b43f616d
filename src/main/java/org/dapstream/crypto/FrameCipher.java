package org.dapstream.crypto;

import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;

import javax.crypto.AEADBadTagException;
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
 * 64 KiB, far more than the two copies cost. Two paths avoid most of those copies: a sender
 * whose plaintext is still in its own array seals from it
 * ({@link #seal(ByteBuffer, int, byte[], int, int)}: one copy instead of three), and a receiver
 * opens into an array of its own ({@link #open(int, int, int, int, int, ByteBuffer, ByteBuffer)}),
 * out of place where SunJCE decrypts faster so ({@link #OPEN_OUT_OF_PLACE}). The only per-frame allocations left are inside
 * the JCE (the parameter spec with its IV clone, SunJCE's per-init GCM engine with its GHASH
 * and counter state, about 0.9 KB); measurements in
 * docs/decisions/0073-one-cipher-per-direction.md and 0074-direct-buffers-staged.md.
 */
public final class FrameCipher implements AutoCloseable {
    /** Bytes of the authentication tag at the end of every encrypted payload. */
    public static final int TAG_SIZE = 16;
    /** The provider whose AES-GCM is intrinsified in HotSpot; pinned so no other provider slips in first. */
    static final String PROVIDER = "SunJCE";

    /** Initial size of the per-thread staging array for direct buffers: a 64-byte frame's worth and then some; it grows on demand. */
    static final int INITIAL_STAGING = 4096;
    private static final ThreadLocal<byte[][]> STAGING = ThreadLocal.withInitial(() -> new byte[][] {new byte[INITIAL_STAGING]});
    /**
     * Whether opening AES-GCM into another array pays: SunJCE from JDK 18 on decrypts in one
     * interleaved pass (AES-CTR and GHASH together) only when input and output are different
     * arrays; in place it makes two passes. Measured for 64 KiB on JDK 25 (AMD EPYC with VAES):
     * 14.7 µs in place against 7.1-7.5 µs out of place including a copy. JDK 17 has no such
     * pass (out of place would only add a copy), nor has ChaCha20-Poly1305.
     */
    static final boolean OPEN_OUT_OF_PLACE = Runtime.version().feature() >= 18;
    /** Smallest payload opened out of place: SunJCE takes its one-pass route from 512 bytes on; below, it would only add a copy. */
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
    private final byte[] aad = new byte[FrameHeader.SIZE];
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
        int end = at + FrameHeader.SIZE + plainLen + TAG_SIZE;
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

    /**
     * Seals a frame whose plaintext is not yet in it: the header at {@code out[at .. at+12)}
     * (as for {@link #seal(ByteBuffer, int, int)}), the plaintext {@code source[from .. from+plainLen)};
     * the ciphertext and tag are written after the header. The wire bytes are those of copying
     * the plaintext in and sealing in place; the difference is the copies: into direct memory
     * (the transport's batch) from a heap source one copy (the ciphertext, made in a heap
     * array) instead of three, and none into a heap frame. A direct source is copied in and
     * sealed in place. Moves no position or limit; {@code source} must not overlap the frame.
     *
     * @throws IllegalArgumentException when the header does not match, the frame does not fit
     *                                  {@code out}'s capacity or the source range is out of bounds
     */
    public void seal(ByteBuffer out, int at, ByteBuffer source, int from, int plainLen) {
        if (from < 0 || plainLen < 0 || from + plainLen > source.limit() || from + plainLen < 0) {
            throw new IllegalArgumentException("source range " + from + "+" + plainLen + " is outside its limit " + source.limit());
        }
        if (source.hasArray() && !source.isReadOnly()) {
            seal(out, at, source.array(), source.arrayOffset() + from, plainLen);
            return;
        }
        int end = at + FrameHeader.SIZE + plainLen + TAG_SIZE;
        if (at < 0 || end > out.capacity() || end < 0) {
            throw new IllegalArgumentException("frame at " + at + " with " + plainLen
                    + " plaintext bytes and its tag does not fit a buffer of capacity " + out.capacity());
        }
        ByteBuffer room = out.duplicate(); // the payload may lie past a limit that ends at the header
        room.limit(room.capacity()).put(at + FrameHeader.SIZE, source, from, plainLen);
        seal(out, at, plainLen);
    }

    /** {@link #seal(ByteBuffer, int, ByteBuffer, int, int)} from an array. */
    public void seal(ByteBuffer out, int at, byte[] source, int from, int plainLen) {
        ensureOpen();
        byte[] src = source;
        int off = from;
        int len = plainLen;
        int end = at + FrameHeader.SIZE + len + TAG_SIZE;
        if (off < 0 || len < 0 || off + len > src.length || off + len < 0) {
            throw new IllegalArgumentException("source range " + off + "+" + len + " is outside its array of " + src.length);
        }
        if (at < 0 || end > out.capacity() || end < 0) {
            throw new IllegalArgumentException("frame at " + at + " with " + len
                    + " plaintext bytes and its tag does not fit a buffer of capacity " + out.capacity());
        }
        int limit = out.limit();
        if (limit < end) {
            out.limit(end);
        }
        try {
            int seq = checkedHeader(out, at, len);
            int chId = FrameHeader.readChannel(out, at);
            init(Cipher.ENCRYPT_MODE, chId, seq);
            try {
                if (out.hasArray() && !out.isReadOnly()) {
                    byte[] a = out.array();
                    int base = out.arrayOffset() + at;
                    cipher.updateAAD(a, base, FrameHeader.SIZE);
                    cipher.doFinal(src, off, len, a, base + FrameHeader.SIZE);
                } else {
                    out.get(at, aad, 0, FrameHeader.SIZE);
                    cipher.updateAAD(aad, 0, FrameHeader.SIZE);
                    byte[] s = staging(len + TAG_SIZE);
                    int n = cipher.doFinal(src, off, len, s, 0);
                    out.put(at + FrameHeader.SIZE, s, 0, n);
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

    /** The seq of a header ready to seal {@code plainLen} bytes; a header without the tag's size or ENCRYPTED is a caller's bug. */
    private static int checkedHeader(ByteBuffer buf, int at, int plainLen) {
        int size = FrameHeader.readSize(buf, at);
        int flags = buf.get(at + FrameHeader.OFFSET_FLAGS);
        if (size != plainLen + TAG_SIZE || (flags & Flags.ENCRYPTED) == 0) {
            throw new IllegalArgumentException("header to seal must carry size " + (plainLen + TAG_SIZE)
                    + " and the ENCRYPTED flag, has size " + Integer.toUnsignedString(size)
                    + " flags 0x" + Integer.toHexString(flags & 0xFF));
        }
        return FrameHeader.readSeq(buf, at);
    }

    private void sealWithin(ByteBuffer buf, int at, int plainLen) {
        int seq = checkedHeader(buf, at, plainLen);
        int chId = FrameHeader.readChannel(buf, at);
        init(Cipher.ENCRYPT_MODE, chId, seq);
        try {
            if (buf.hasArray() && !buf.isReadOnly()) {
                byte[] a = buf.array();
                int base = buf.arrayOffset() + at;
                cipher.updateAAD(a, base, FrameHeader.SIZE);
                cipher.doFinal(a, base + FrameHeader.SIZE, plainLen, a, base + FrameHeader.SIZE);
            } else {
                // Direct memory: staged through a heap array (see the class comment for why).
                byte[] s = staging(FrameHeader.SIZE + plainLen + TAG_SIZE);
                buf.get(at, s, 0, FrameHeader.SIZE + plainLen);
                cipher.updateAAD(s, 0, FrameHeader.SIZE);
                int n = cipher.doFinal(s, FrameHeader.SIZE, plainLen, s, FrameHeader.SIZE);
                buf.put(at + FrameHeader.SIZE, s, FrameHeader.SIZE, n);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(suite + " seal failed on channel " + chId + " seq " + Integer.toUnsignedString(seq), e);
        }
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
        receivedHeader(size, type, seq, chId, flags);
        init(Cipher.DECRYPT_MODE, chId, seq);
        try {
            cipher.updateAAD(aad, 0, FrameHeader.SIZE);
            if (payload.hasArray() && !payload.isReadOnly()) {
                byte[] a = payload.array();
                int off = payload.arrayOffset() + payload.position();
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
            int from = payload.position();
            payload.get(from, s, 0, size);
            int n;
            try {
                n = cipher.doFinal(s, 0, size, s, 0);
            } catch (GeneralSecurityException e) {
                Arrays.fill(s, 0, size, (byte) 0);
                throw e;
            }
            payload.put(from, s, 0, n);
            return n;
        } catch (AEADBadTagException e) {
            throw new AeadFailure("encrypted frame failed authentication (" + suite + ", channel " + (chId & 0xFFFF)
                    + ", seq " + Integer.toUnsignedString(seq) + ")");
        } catch (GeneralSecurityException e) {
            throw new AeadFailure("encrypted frame could not be opened (" + suite + "): " + e.getClass().getSimpleName());
        }
    }

    /**
     * Opens an encrypted frame into whichever place costs least, and returns where the
     * plaintext is: {@code payload} itself (opened in place, its limit moved to the plaintext's
     * end) or {@code scratch} (a heap buffer of the caller's with room for {@code size} bytes,
     * its position 0 and limit the plaintext's end). Direct memory is never written; the
     * received frame stays as it came. Opening into another array is the fast way for AES-GCM
     * from JDK 18 on ({@link #OPEN_OUT_OF_PLACE}); a direct payload is copied once either way.
     * Neither place holds plaintext when the tag does not verify.
     *
     * @throws AeadFailure when {@code size < 16} or the tag does not verify
     */
    public ByteBuffer open(int size, int type, int seq, int chId, int flags, ByteBuffer payload, ByteBuffer scratch) throws AeadFailure {
        ensureOpen();
        if (size < TAG_SIZE) {
            throw new AeadFailure("encrypted frame payload of " + Integer.toUnsignedString(size)
                    + " bytes is shorter than the " + TAG_SIZE + "-byte tag");
        }
        if (payload.remaining() != size || scratch.capacity() < size || !scratch.hasArray()) {
            throw new IllegalArgumentException("payload view holds " + payload.remaining() + " bytes, header size is " + size
                    + ", scratch " + scratch.capacity() + (scratch.hasArray() ? "" : " (not a heap buffer)"));
        }
        boolean outOfPlace = openOutOfPlace && size >= OPEN_OUT_OF_PLACE_MIN;
        boolean heap = payload.hasArray() && !payload.isReadOnly();
        if (heap && !outOfPlace) {
            int n = open(size, type, seq, chId, flags, payload);
            return payload.limit(payload.position() + n);
        }
        receivedHeader(size, type, seq, chId, flags);
        init(Cipher.DECRYPT_MODE, chId, seq);
        byte[] dst = scratch.array();
        int dstOff = scratch.arrayOffset();
        byte[] src;
        int srcOff;
        if (heap) {
            src = payload.array();
            srcOff = payload.arrayOffset() + payload.position();
        } else if (outOfPlace) {
            src = staging(size);
            srcOff = 0;
            payload.get(payload.position(), src, 0, size);
        } else {
            src = dst;
            srcOff = dstOff;
            payload.get(payload.position(), dst, dstOff, size);
        }
        try {
            cipher.updateAAD(aad, 0, FrameHeader.SIZE);
            int n;
            try {
                n = cipher.doFinal(src, srcOff, size, dst, dstOff);
            } catch (GeneralSecurityException e) {
                Arrays.fill(dst, dstOff, dstOff + size, (byte) 0);
                throw e;
            }
            return scratch.limit(n).position(0);
        } catch (AEADBadTagException e) {
            throw new AeadFailure("encrypted frame failed authentication (" + suite + ", channel " + (chId & 0xFFFF)
                    + ", seq " + Integer.toUnsignedString(seq) + ")");
        } catch (GeneralSecurityException e) {
            throw new AeadFailure("encrypted frame could not be opened (" + suite + "): " + e.getClass().getSimpleName());
        }
    }

    /** The received header, byte for byte, as the associated data: little-endian fields at the header's offsets. */
    private void receivedHeader(int size, int type, int seq, int chId, int flags) {
        aad[FrameHeader.OFFSET_SIZE] = (byte) size;
        aad[FrameHeader.OFFSET_SIZE + 1] = (byte) (size >>> 8);
        aad[FrameHeader.OFFSET_SIZE + 2] = (byte) (size >>> 16);
        aad[FrameHeader.OFFSET_SIZE + 3] = (byte) (size >>> 24);
        aad[FrameHeader.OFFSET_TYPE] = (byte) type;
        aad[FrameHeader.OFFSET_SEQ] = (byte) seq;
        aad[FrameHeader.OFFSET_SEQ + 1] = (byte) (seq >>> 8);
        aad[FrameHeader.OFFSET_SEQ + 2] = (byte) (seq >>> 16);
        aad[FrameHeader.OFFSET_SEQ + 3] = (byte) (seq >>> 24);
        aad[FrameHeader.OFFSET_CHANNEL] = (byte) chId;
        aad[FrameHeader.OFFSET_CHANNEL + 1] = (byte) (chId >>> 8);
        aad[FrameHeader.OFFSET_FLAGS] = (byte) flags;
    }

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

}
