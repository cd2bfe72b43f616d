package org.dapstream.protocol;

/** Size limits a receiver enforces before buffering anything. */
public final class FrameLimits {
    /** Application bytes one frame carries by default: 64 KiB. */
    public static final int DEFAULT_MESSAGE_PAYLOAD = 64 * 1024;
    /**
     * Room on top of {@link #DEFAULT_MESSAGE_PAYLOAD} for what the transforms add to a
     * payload (AEAD tag, compression and fragment headers), so a full 64 KiB message still
     * fits in one frame once sealed.
     */
    public static final int TRANSFORM_OVERHEAD = 256;
    /** Default limit on a received frame's {@code size}: 64 KiB + {@link #TRANSFORM_OVERHEAD}. */
    public static final int DEFAULT_MAX_FRAME_PAYLOAD = DEFAULT_MESSAGE_PAYLOAD + TRANSFORM_OVERHEAD;
    /** The largest frame payload limit a node may be configured with: 16 MiB. */
    public static final int HARD_CAP_FRAME_PAYLOAD = 16 * 1024 * 1024;

    private FrameLimits() {
    }

    /** Checks a configured limit against the hard cap; throws with what to fix. */
    public static int checkConfigured(int maxFramePayload) {
        // Not below the default: version 1 does not announce the limit, and every sender
        // may send full 64 KiB messages, so a lower limit would refuse well-behaved peers.
        if (maxFramePayload < DEFAULT_MAX_FRAME_PAYLOAD || maxFramePayload > HARD_CAP_FRAME_PAYLOAD) {
            throw new IllegalArgumentException("max frame payload must be between " + DEFAULT_MAX_FRAME_PAYLOAD + " and "
                    + HARD_CAP_FRAME_PAYLOAD + " bytes, got " + maxFramePayload);
        }
        return maxFramePayload;
    }
}
