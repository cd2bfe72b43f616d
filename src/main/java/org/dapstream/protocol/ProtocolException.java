package org.dapstream.protocol;

/**
 * A peer broke the protocol. Carries the {@link ErrorCode} that goes into the ERROR frame
 * and a message that says exactly what was wrong (never secret bytes).
 */
public final class ProtocolException extends Exception {
    private final ErrorCode code;
    private final int channelId;

    public ProtocolException(ErrorCode code, String message) {
        this(code, 0, message);
    }

    /** An error scoped to one channel ({@code channelId != 0}) or to the stream ({@code 0}). */
    public ProtocolException(ErrorCode code, int channelId, String message) {
        super(message, null, false, false);
        this.code = code;
        this.channelId = channelId;
    }

    public ErrorCode code() {
        return code;
    }

    /** The channel the error belongs to, 0 for a stream error. */
    public int channelId() {
        return channelId;
    }

    @Override
    public String toString() {
        return code + " (0x" + String.format("%04x", code.code()) + "): " + getMessage();
    }
}
