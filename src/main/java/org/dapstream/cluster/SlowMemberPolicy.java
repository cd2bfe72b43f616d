package org.dapstream.cluster;

/** What happens to a member session that does not read its cluster messages fast enough. */
public enum SlowMemberPolicy {
    /** It misses what it cannot take, and is told how many in a GAP message as soon as it can take more. */
    GAP,
    /** Its stream ends with SLOW_CONSUMER at the first message it cannot take. */
    DISCONNECT;

    /** {@code gap} or {@code disconnect} (config key {@code dap.stream.cluster.slow-member}). */
    public static SlowMemberPolicy parse(String text) {
        return switch (text.trim().toLowerCase()) {
            case "gap" -> GAP;
            case "disconnect" -> DISCONNECT;
            default -> throw new IllegalArgumentException("'" + text + "'; use gap or disconnect");
        };
    }
}
