package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;

/** An in-process member of a named cluster: the node's own Java API joined it. */
public interface ClusterListener {
    /**
     * One message of {@code cluster}. Called on the thread that delivers it (an event loop:
     * never block); {@code payload} is lent for the call only.
     *
     * @param origin    the node it was published at
     * @param publisher the publishing session at {@code origin} (0: that node's own API)
     * @param seq       the publisher's sequence number: increasing by one per message it publishes
     * @param balanced  true when sent to this member alone (balanced delivery), false for a broadcast
     */
    void message(Cluster cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced);
}
