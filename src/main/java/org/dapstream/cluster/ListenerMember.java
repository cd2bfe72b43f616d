package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;

/** A member added by the node's own Java API: deliveries go to its listener. */
final class ListenerMember implements LocalMember, Cluster.Membership {
    private final Cluster cluster;
    private final NodeAddress node;
    private final int session;
    private final ClusterListener listener;

    ListenerMember(Cluster cluster, NodeAddress node, int session, ClusterListener listener) {
        this.cluster = cluster;
        this.node = node;
        this.session = session;
        this.listener = listener;
    }

    @Override
    public int session() {
        return session;
    }

    @Override
    public NodeAddress node() {
        return node;
    }

    @Override
    public long load() {
        return 0;
    }

    @Override
    public void deliver(boolean balanced, long origin, int publisher, long seq, ByteBuffer payload) {
        cluster.clusters().delivered();
        listener.message(cluster, new NodeAddress(origin), publisher, seq, payload, balanced);
    }

    @Override
    public void leave() {
        cluster.removeLocal(this);
    }
}
