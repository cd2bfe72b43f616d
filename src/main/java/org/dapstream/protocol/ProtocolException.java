package org.dapstream.protocol;

/**
 * A peer broke the protocol. Carries the {@link ErrorCode} that goes into the ERROR frame
 * and a message that says exactly what was wrong (never secret bytes).
 */
public final class ProtocolException extends Exception {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return code + " (0x" + String.format("%04x", code.code()) + "): " + getMessage();
    }
}
