package org.dapstream.cluster;

import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One named cluster a client's CLUSTER channel joined: deliveries go to that channel as
 * MESSAGE under the channel's {@code ref} for the cluster. What the channel cannot take is
 * counted here and reported by the channel in a GAP once it can.
 */
final class ChannelMember implements LocalMember {
    final Cluster cluster;
    final int ref;
    private final MemberChannel channel;
    /** Messages this member missed since its last GAP. */
    final AtomicLong missed = new AtomicLong();

    ChannelMember(Cluster cluster, int ref, MemberChannel channel) {
        this.cluster = cluster;
        this.ref = ref;
        this.channel = channel;
    }

    @Override
    public int session() {
        return channel.session();
    }

    @Override
    public NodeAddress node() {
        return channel.node();
    }

    /** Bytes queued on its channel, not yet sent. */
    @Override
    public long load() {
        return channel.queuedBytes();
    }

    @Override
    public void deliver(boolean balanced, long origin, int publisher, long seq, ByteBuffer payload) {
        if (!misses(payload.remaining())) {
            channel.deliver(ClusterCodec.encodeMessage(ref, balanced, origin, publisher, seq, payload));
        }
    }

    /** A broadcast: the fan-out's one MESSAGE array, under this member's ref. */
    @Override
    public void deliver(Clusters.Delivery d) {
        if (!misses(d.payload.remaining())) {
            channel.deliver(d.message(ref));
        }
    }

    /** True, and counted for the next GAP, when the member cannot take a message of {@code payload} bytes now. */
    private boolean misses(int payload) {
        if (!channel.blocked() && !channel.full(ClusterCodec.MESSAGE_HEADER_SIZE + payload)) {
            return false;
        }
        missed.incrementAndGet();
        channel.missed(this);
        return true;
    }
}
