package org.dapstream.crypto;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The running SHA-256 of the handshake messages, in order, each the whole CONTROL payload. */
final class Transcript {
    private final MessageDigest digest;

    Transcript() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    void add(byte[] message) {
        digest.update(message);
    }

    /** The hash of everything added so far, plus {@code partialLength} bytes of {@code partial} (not added). */
    byte[] hashWith(byte[] partial, int partialLength) {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            copy.update(partial, 0, partialLength);
            return copy.digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }

    byte[] hash() {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            byte[] out = new byte[Hkdf.HASH_SIZE];
            copy.digest(out, 0, out.length);
            return out;
        } catch (CloneNotSupportedException | DigestException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }
}
