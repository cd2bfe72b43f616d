package org.dapstream.cluster;

/** Where this node stands with a member's link, as the member table shows it. */
public enum LinkState {
    /** Connecting and handshaking. */
    DIALING,
    /** The last attempt failed or the link dropped; the next dial waits for its back-off delay. */
    BACKING_OFF,
    /** A link is up (dialled by this node or by the peer). */
    UP,
    /** The peer's node address is the lower one, so the peer dials; this node waits for it. */
    PEER_DIALS,
    /** The endpoint is this node itself. */
    SELF,
    /** Discovery no longer lists the member, or the node is stopping. */
    STOPPED
}
