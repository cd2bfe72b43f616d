package org.dapstream.crypto;

/**
 * An encrypted frame did not open: the tag did not verify (tampering, wrong key, epoch,
 * channel or sequence number) or the frame is too short to carry a tag. The message names
 * which; it never contains key, nonce or payload bytes.
 */
public final class AeadFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public AeadFailure(String message) {
        super(message);
    }

    public AeadFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
