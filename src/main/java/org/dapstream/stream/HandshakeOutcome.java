package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;

/** How a secure handshake ended, for the {@code dap_stream_handshakes_total{outcome}} meter. */
public enum HandshakeOutcome {
    /** Both sides set up, keys in place. */
    SUCCESS,
    /** The peer's identity was proven and the policy refused it (or it did not authenticate where it must, or is not who was dialled). */
    REFUSED,
    /** Malformed, forged or mismatched: bad signature, bad MAC, no common suite, wrong version. */
    FAILED,
    /** Not completed within the setup deadline. */
    TIMEOUT,
    /** Never started: the node had too many handshakes in progress. */
    REJECTED_BUSY;

    static HandshakeOutcome of(ErrorCode code) {
        return switch (code) {
            case AUTH_REFUSED, AUTH_REQUIRED, IDENTITY_MISMATCH -> REFUSED;
            default -> FAILED;
        };
    }

    /** The meter's tag value. */
    public String tag() {
        return name().toLowerCase();
    }
}
