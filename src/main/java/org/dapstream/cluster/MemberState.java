package org.dapstream.cluster;

/** What discovery says of a member node. A member discovery no longer lists is removed. */
public enum MemberState {
    /** Serving: links, new sessions, balanced deliveries. */
    READY,
    /**
     * Shutting down but still serving (Kubernetes: {@code serving} and {@code terminating}):
     * kept for hand-over and its existing links, given no new sessions.
     */
    DRAINING
}
