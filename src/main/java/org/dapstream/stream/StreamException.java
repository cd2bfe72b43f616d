package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;

/**
 * A stream or channel operation could not complete: the peer refused a channel, or the
 * stream or channel closed first. Carries the close code and reason.
 */
public final class StreamException extends RuntimeException {
    private final transient CloseReason reason;

    public StreamException(CloseReason reason) {
        super(reason.toString());
        this.reason = reason;
    }

    public StreamException(ErrorCode code, String message) {
        this(CloseReason.of(code, message));
    }

    public CloseReason reason() {
        return reason;
    }
}
