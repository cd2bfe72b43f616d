package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;

/** A member of a named cluster held by this node: a session's CLUSTER channel, or the node's own API. */
interface LocalMember extends Candidate {
    /** Its session id at this node. */
    int session();

    /** Its own node address. */
    NodeAddress node();

    /**
     * Delivers one message; never blocks and never queues beyond the member's own bound: what
     * the member cannot take now is counted and reported to it.
     */
    void deliver(boolean balanced, long origin, int publisher, long seq, ByteBuffer payload);

    /** Delivers one message of a broadcast fan-out, whose encoding members may share (see {@link Clusters.Delivery}). */
    default void deliver(Clusters.Delivery d) {
        deliver(d.balanced, d.origin, d.publisher, d.seq, d.payload);
    }

    @Override
    default long id() {
        return RemoteMember.id(node(), session());
    }
}
