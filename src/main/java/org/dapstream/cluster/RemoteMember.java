package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;

import java.util.function.LongSupplier;

/**
 * A member held by another node, as that node's link reported it (MEMBER_ADD).
 *
 * @param node    the member's own node address
 * @param session its session at {@code at}
 * @param at      the node that holds it
 * @param queued  the bytes queued from this node towards its holder (on their link), or null
 */
record RemoteMember(NodeAddress node, int session, NodeAddress at, LongSupplier queued) implements Candidate {
    /** A member's balancing id: stable for the member wherever it is asked (rendezvous hashing needs that). */
    static long id(NodeAddress node, int session) {
        long h = node.value() * 0x9E3779B97F4A7C15L + (session & 0xFFFFFFFFL);
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }

    @Override
    public long id() {
        return id(node, session);
    }

    /** What least-loaded balancing weighs it by: the bytes queued towards it from here, on the link to its node. */
    @Override
    public long load() {
        return queued == null ? 0 : queued.getAsLong();
    }

    /** Equal by identity (node, session, holder); the load does not make it another member. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RemoteMember r && r.node.equals(node) && r.session == session && r.at.equals(at);
    }

    @Override
    public int hashCode() {
        return (node.hashCode() * 31 + session) * 31 + at.hashCode();
    }
}
