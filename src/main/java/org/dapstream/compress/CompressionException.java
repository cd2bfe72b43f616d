package org.dapstream.compress;

/**
 * Why a COMPRESSED payload was refused. Checked: a peer's bad payload is an expected event the
 * caller turns into a protocol error; the message says what and the numbers (never payload bytes).
 */
public final class CompressionException extends Exception {
    /** The kinds of bad payload, each decided before or instead of producing output. */
    public enum Reason {
        /** Shorter than the 4-byte length prefix, or no LZ4 block after it. */
        TRUNCATED,
        /** The declared length is over the receiver's limit: a decompression bomb; refused before any work. */
        TOO_LARGE,
        /** The LZ4 block is invalid (bad token, offset outside the output, input ends inside a sequence, ...). */
        MALFORMED,
        /** The block is well-formed but decodes to a different number of bytes than declared. */
        LENGTH_MISMATCH
    }

    private final Reason reason;

    public CompressionException(Reason reason, String message) {
        // No stack trace: a peer can provoke this at line rate, and the reason + message say it all.
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public String toString() {
        return reason + ": " + getMessage();
    }
}
