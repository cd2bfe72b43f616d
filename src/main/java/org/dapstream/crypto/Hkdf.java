package org.dapstream.crypto;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * HKDF with HMAC-SHA-256 (RFC 5869), on the JDK's HmacSHA256. Every {@code info} of this
 * protocol is an ASCII label ("dap-stream v1 ...") optionally followed by context bytes.
 */
public final class Hkdf {
    public static final int HASH_SIZE = 32;
    private static final String HMAC = "HmacSHA256";
    /** One Mac per thread: Mac.getInstance walks the providers each time, a dozen times per handshake. */
    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance(HMAC);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    });

    private Hkdf() {
    }

    /** HKDF-Extract(salt, ikm) = HMAC(salt, ikm). */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt.length == 0 ? new byte[HASH_SIZE] : salt, ikm);
    }

    /** HKDF-Expand(prk, label || context, length), length at most 255 * 32. */
    public static byte[] expand(byte[] prk, String label, byte[] context, int length) {
        if (length <= 0 || length > 255 * HASH_SIZE) {
            throw new IllegalArgumentException("HKDF-Expand length " + length);
        }
        byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[labelBytes.length + context.length];
        System.arraycopy(labelBytes, 0, info, 0, labelBytes.length);
        System.arraycopy(context, 0, info, labelBytes.length, context.length);
        try {
            Mac mac = MACS.get();
            mac.init(new SecretKeySpec(prk, HMAC));
            byte[] out = new byte[length];
            byte[] block = new byte[0];
            int done = 0;
            for (int i = 1; done < length; i++) {
                mac.update(block);
                mac.update(info);
                mac.update((byte) i);
                Secrets.wipe(block);
                block = mac.doFinal();
                int n = Math.min(block.length, length - done);
                System.arraycopy(block, 0, out, done, n);
                done += n;
            }
            Secrets.wipe(block);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    public static byte[] expand(byte[] prk, String label, int length) {
        return expand(prk, label, new byte[0], length);
    }

    /** HMAC-SHA-256(key, data). */
    public static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = MACS.get();
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
