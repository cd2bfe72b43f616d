package org.dapstream.client;

import org.dapstream.protocol.ErrorCode;

import java.io.IOException;

/**
 * A request over a SERVICE channel that ended without a complete response: the node refused or
 * could not forward it (a RESET with its code), or the channel closed. {@link #code()} says which.
 */
public final class StreamHttpException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int code;

    public StreamHttpException(int code, String reason) {
        super(describe(code) + ": " + reason);
        this.code = code;
    }

    /** The wire value of the code. */
    public int codeValue() {
        return code;
    }

    /** The code, or null for one this client does not know (from a newer node). */
    public ErrorCode code() {
        return ErrorCode.fromCode(code);
    }

    private static String describe(int code) {
        ErrorCode known = ErrorCode.fromCode(code);
        return (known == null ? "code" : known.name()) + String.format(" (0x%04x)", code);
    }
}
