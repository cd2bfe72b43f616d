package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;

/**
 * The handshake failed; {@link #code()} is the ERROR code sent to the peer. Messages never
 * contain key material.
 */
public final class HandshakeException extends Exception {
    private final ErrorCode code;

    public HandshakeException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    static HandshakeException malformed(String message) {
        return new HandshakeException(ErrorCode.MALFORMED_HANDSHAKE, message);
    }
}
