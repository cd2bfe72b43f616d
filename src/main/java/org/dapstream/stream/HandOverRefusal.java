package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;

/**
 * A session was not handed over (PROTOCOL.md section 33): {@code code} says why, and when
 * the session had moved on already, {@code movedTo} says to which member.
 */
public final class HandOverRefusal extends RuntimeException {
    private final transient ErrorCode code;
    private final transient NodeAddress movedTo;

    public HandOverRefusal(ErrorCode code, String message, NodeAddress movedTo) {
        super(message, null, false, false);
        this.code = code;
        this.movedTo = movedTo;
    }

    public HandOverRefusal(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ErrorCode code() {
        return code;
    }

    /** The member the session moved to; null unless {@link #code()} is SESSION_MOVED. */
    public NodeAddress movedTo() {
        return movedTo;
    }
}
