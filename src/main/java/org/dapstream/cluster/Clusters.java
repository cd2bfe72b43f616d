package org.dapstream.cluster;

import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.FlowConfig;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The named clusters this node knows (the seed's cluster registry), and how their messages
 * move: a broadcast is delivered to the local members and sent once to each other node that
 * holds members (which delivers it to its own: one hop, as NATS routes do); a balanced
 * message goes to the one member its cluster's balancer picks, wherever it is. Member
 * changes are told to every link (soft state: the whole set again when a link comes up).
 */
public final class Clusters {
    private static final System.Logger LOG = System.getLogger(Clusters.class.getName());
    /** The publisher id of messages from the node's own API. */
    public static final int NODE_PUBLISHER = 0;

    /**
     * @param balancer     how a new cluster balances until told otherwise
     * @param maxClusters  named clusters this node holds at once; joins of new names beyond it are refused
     * @param allow        per cluster name, the node addresses admitted (a cluster not listed admits any session)
     * @param maxMessage   the largest message a member's channel or a link carries ({@code dap.stream.flow.max-message-size})
     */
    public record Settings(Balancer balancer, int maxClusters, Map<String, Set<NodeAddress>> allow, int maxMessage) {
        /** 100,000: a name costs a few hundred bytes; the bound keeps a flood of joins of fresh names finite. */
        public static final int DEFAULT_MAX_CLUSTERS = 100_000;

        public Settings {
            if (maxClusters < 1) {
                throw new IllegalArgumentException("maxClusters must be >= 1, got " + maxClusters);
            }
            allow = Map.copyOf(allow);
        }

        public Settings(Balancer balancer, int maxClusters, Map<String, Set<NodeAddress>> allow) {
            this(balancer, maxClusters, allow, FlowConfig.DEFAULT_MAX_MESSAGE_SIZE);
        }

        public static Settings defaults() {
            return new Settings(Balancer.parse("round-robin"), DEFAULT_MAX_CLUSTERS, Map.of());
        }
    }

    private final NodeAddress self;
    private final Settings settings;
    private final Map<String, Cluster> byName = new ConcurrentHashMap<>();
    private volatile Links links;
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder forwards = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder missed = new LongAdder();
    private final LongAdder undeliverable = new LongAdder();

    public Clusters(NodeAddress self, Settings settings) {
        this.self = self;
        this.settings = settings;
    }

    /** Links to the other member nodes; none (the default) when this node runs alone. */
    public void links(Links links) {
        this.links = links;
    }

    public NodeAddress self() {
        return self;
    }

    /** The seed's {@code dap_cluster_create}: the cluster of that name, created (and kept while empty) if new. */
    public Cluster create(String name) {
        Cluster c = obtain(name, true);
        if (c == null) {
            throw new IllegalStateException("this node holds " + settings.maxClusters() + " named clusters already");
        }
        return c;
    }

    /** The cluster of that name, or null. */
    public Cluster find(String name) {
        return byName.get(name);
    }

    public Collection<Cluster> all() {
        return List.copyOf(byName.values());
    }

    /** Deliveries to local members since start (broadcast and balanced). */
    public long deliveries() {
        return deliveries.sum();
    }

    /** Messages sent to other nodes since start (one per interested node per broadcast, one per remote balanced pick). */
    public long forwards() {
        return forwards.sum();
    }

    /** Gap notices sent to members that read too slowly. */
    public long gapNotices() {
        return gaps.sum();
    }

    /** Messages members missed because they read too slowly (each reported in a gap notice). */
    public long missedDeliveries() {
        return missed.sum();
    }

    /** Balanced messages that found no member (its member left while the message travelled). */
    public long undeliverable() {
        return undeliverable.sum();
    }

    Cluster obtain(String name, boolean pinned) {
        Cluster c = byName.get(name);
        if (c != null || byName.size() >= settings.maxClusters()) {
            return c;
        }
        return byName.computeIfAbsent(name, n -> new Cluster(n, this, settings.balancer(), settings.allow().get(n), pinned));
    }

    void forgetIfEmpty(Cluster c) {
        if (!c.pinned() && c.retireIfEmpty()) {
            byName.remove(c.name(), c);
        }
    }

    int newLocalSession() {
        return ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE) | 0x8000_0000; // apart from the stream sessions' ids
    }

    void delivered() {
        deliveries.increment();
    }

    void missedOne() {
        missed.increment();
    }

    void gapNotice() {
        gaps.increment();
    }

    // ---- broadcast ----

    boolean publishFromNode(Cluster c, ByteBuffer payload) {
        checkSize(c, payload.remaining());
        synchronized (c.nodeBroadcastSeq) {
            // publishes from several threads get one order: their numbers, and the order they leave in
            return publish(c, NODE_PUBLISHER, c.nodeBroadcastSeq.incrementAndGet(), payload) == null;
        }
    }

    /**
     * The largest payload a message of {@code c} may carry: its MESSAGE to a member, and its
     * FORWARD or DELIVER to another node, must each fit {@code maxMessage} (a larger one would
     * fail at a member's channel after it was accepted, or be refused by a link).
     */
    static int maxPayload(Cluster c, int maxMessage) {
        return maxMessage - Math.max(ClusterCodec.MESSAGE_HEADER_SIZE, LinkCodec.DELIVER_FIXED_SIZE + c.nameBytes().length);
    }

    private void checkSize(Cluster c, int payload) {
        if (payload > maxPayload(c, settings.maxMessage())) {
            throw new IllegalArgumentException("a message of cluster " + c.name() + " carries at most " + maxPayload(c, settings.maxMessage())
                    + " bytes (dap.stream.flow.max-message-size less its headers), this one " + payload);
        }
    }

    /**
     * Broadcasts a message published at this node: to each local member, and once to each
     * other node holding members.
     *
     * @return null, or a link that was full: the message went, and the publisher waits for
     *         that link's {@code whenWritable()} before it publishes more
     */
    Link publish(Cluster c, int publisher, long seq, ByteBuffer payload) {
        deliverLocally(c, self.value(), publisher, seq, payload);
        NodeAddress[] nodes = c.interested();
        Links l = links;
        if (nodes.length == 0 || l == null) {
            return null;
        }
        byte[] forward = LinkCodec.encodeForward(c.nameBytes(), self.value(), publisher, seq, payload);
        Link full = null;
        for (NodeAddress n : nodes) {
            Link link = l.to(n);
            if (link != null) {
                if (!link.send(forward)) {
                    full = link;
                }
                forwards.increment();
            }
        }
        return full;
    }

    private void deliverLocally(Cluster c, long origin, int publisher, long seq, ByteBuffer payload) {
        LocalMember[] members = c.locals();
        if (members.length == 0) {
            return;
        }
        Delivery d = new Delivery(false, origin, publisher, seq, payload);
        for (LocalMember m : members) {
            try {
                m.deliver(d);
            } catch (RuntimeException e) {
                // One member's failure (a listener that throws) never costs the others or the link it came on.
                failedDelivery(m, e);
            }
        }
    }

    private void failedDelivery(LocalMember m, RuntimeException e) {
        undeliverable.increment();
        LOG.log(System.Logger.Level.WARNING, "delivery to member " + m.node() + " session " + Integer.toUnsignedString(m.session())
                + " failed: " + e);
    }

    /**
     * One message on its way to the local members of a cluster, for one fan-out on one thread.
     * Its MESSAGE is encoded once, at the first member that needs it, and each channel member
     * writes that same array under its own ref: a channel write takes what it is given before
     * it returns (sent, or copied into the channel's queue), so the array is free again for the
     * next member. One array per fan-out instead of one per member, and the payload is copied
     * into it once.
     */
    static final class Delivery {
        /** Where MESSAGE's ref (u32, little-endian) starts: after its kind byte ({@link ClusterCodec}'s layout). */
        static final int REF_OFFSET = 1;
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

        final boolean balanced;
        final long origin;
        final int publisher;
        final long seq;
        /** Lent for the fan-out only. */
        final ByteBuffer payload;
        private byte[] message;

        Delivery(boolean balanced, long origin, int publisher, long seq, ByteBuffer payload) {
            this.balanced = balanced;
            this.origin = origin;
            this.publisher = publisher;
            this.seq = seq;
            this.payload = payload;
        }

        /** The MESSAGE for the member under {@code ref}; valid until the next call. */
        byte[] message(int ref) {
            if (message == null) {
                message = ClusterCodec.encodeMessage(ref, balanced, origin, publisher, seq, payload);
            } else {
                INT.set(message, REF_OFFSET, ref);
            }
            return message;
        }
    }

    /** Completes when every link can take more (at once when it can now, or when this node runs alone). */
    public CompletableFuture<Void> whenLinksWritable() {
        Links l = links;
        if (l == null) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (Link link : l.all()) {
            waits.add(link.channel().whenWritable());
        }
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture[0])).exceptionally(e -> null);
    }

    // ---- balanced ----

    boolean sendFromNode(Cluster c, byte[] key, ByteBuffer payload) {
        checkSize(c, payload.remaining());
        synchronized (c.nodeBalancedSeq) {
            // numbered only when sent, so the balanced sequence has no holes either
            SendOutcome sent = send(c, key, NODE_PUBLISHER, c.nodeBalancedSeq.get() + 1, payload);
            if (sent.delivered()) {
                c.nodeBalancedSeq.incrementAndGet();
            }
            return sent.delivered();
        }
    }

    /**
     * What became of a balanced message.
     *
     * @param delivered false when the cluster had no member to take it
     * @param full      the link it went on, when that link is full (the sender waits for it), or null
     */
    record SendOutcome(boolean delivered, Link full) {
        static final SendOutcome NO_MEMBER = new SendOutcome(false, null);
        static final SendOutcome SENT = new SendOutcome(true, null);
    }

    SendOutcome send(Cluster c, byte[] key, int publisher, long seq, ByteBuffer payload) {
        Candidate pick = c.balancer().pick(c.candidates(), key);
        if (pick == null) {
            return SendOutcome.NO_MEMBER;
        }
        if (pick instanceof LocalMember m) {
            try {
                m.deliver(true, self.value(), publisher, seq, payload);
            } catch (RuntimeException e) {
                failedDelivery(m, e);
            }
            return SendOutcome.SENT;
        }
        RemoteMember r = (RemoteMember) pick;
        Links l = links;
        Link link = l == null ? null : l.to(r.at());
        if (link == null) {
            undeliverable.increment();
            return SendOutcome.NO_MEMBER;
        }
        forwards.increment();
        boolean writable = link.send(LinkCodec.encodeDeliver(c.nameBytes(), r.session(), self.value(), publisher, seq, payload));
        return writable ? SendOutcome.SENT : new SendOutcome(true, link);
    }

    // ---- what links carry ----

    /** A member joined or left here: every link is told. */
    void announce(Cluster c, LocalMember m, boolean joined) {
        Links l = links;
        if (l == null) {
            return;
        }
        LinkMessage msg = joined ? new LinkMessage.MemberAdd(c.name(), m.session(), m.node())
                : new LinkMessage.MemberRemove(c.name(), m.session(), m.node());
        byte[] encoded = LinkCodec.encode(msg);
        for (Link link : l.all()) {
            link.send(encoded);
        }
    }

    /** A link came up: the peer gets every local member (soft state). */
    void linkUp(Link link) {
        for (Cluster c : byName.values()) {
            for (LocalMember m : c.locals()) {
                link.send(LinkCodec.encode(new LinkMessage.MemberAdd(c.name(), m.session(), m.node())));
            }
        }
    }

    /** One hop: a node forwards only what was published or sent at it, so a message's origin is the link's peer. */
    private static void requireOrigin(Link link, NodeAddress origin, String what) throws ProtocolException {
        if (!origin.equals(link.peer())) {
            throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, what + " from " + link.peer() + " names origin " + origin
                    + "; a node forwards only its own messages");
        }
    }

    /** A link went down: the members its peer held are gone from every cluster here. */
    void linkDown(Link link) {
        int dropped = 0;
        for (Cluster c : byName.values()) {
            if (c.dropNode(link.peer())) {
                dropped++;
                forgetIfEmpty(c);
            }
        }
        if (dropped > 0) {
            LOG.log(System.Logger.Level.INFO, "members held by " + link.peer() + " left " + dropped + " named clusters (link down)");
        }
    }

    /**
     * A cluster message from a peer (decoded by the caller).
     *
     * @throws ProtocolException when the peer broke the rules: the link is failed with its code
     */
    void onLinkMessage(Link link, LinkMessage message) throws ProtocolException {
        if (message instanceof LinkMessage.Forward f) {
            requireOrigin(link, f.origin(), "FORWARD");
            Cluster c = byName.get(f.name());
            if (c != null) {
                deliverLocally(c, f.origin().value(), f.publisher(), f.seq(), f.payload());
            }
        } else if (message instanceof LinkMessage.Deliver d) {
            requireOrigin(link, d.origin(), "DELIVER");
            Cluster c = byName.get(d.name());
            LocalMember m = c == null ? null : c.local(d.session());
            if (m == null && c != null) {
                // It left while the message travelled: another member here takes it, as the balancer would have.
                Candidate other = c.balancer().pick(List.of(c.locals()), null);
                m = other instanceof LocalMember lm ? lm : null;
            }
            if (m == null) {
                undeliverable.increment();
                return;
            }
            try {
                m.deliver(true, d.origin().value(), d.publisher(), d.seq(), d.payload());
            } catch (RuntimeException e) {
                failedDelivery(m, e);
            }
        } else if (message instanceof LinkMessage.MemberAdd m) {
            RemoteMember member = new RemoteMember(m.node(), m.session(), link.peer(), () -> link.channel().queuedBytes());
            for (int attempt = 0; ; attempt++) {
                Cluster c = obtain(m.name(), false);
                if (c == null) {
                    // Never a member silently missing from this node's view: the link fails, loudly, and is dialled again.
                    throw new ProtocolException(ErrorCode.RESOURCE_EXHAUSTED, "this node holds " + settings.maxClusters()
                            + " named clusters and cannot track another of the peer's members");
                }
                if (c.addRemote(member) || attempt > 0) {
                    break; // added, or the name was retired twice in a row by a racing leave: it is re-created next time
                }
            }
        } else if (message instanceof LinkMessage.MemberRemove m) {
            Cluster c = byName.get(m.name());
            if (c != null) {
                c.removeRemote(new RemoteMember(m.node(), m.session(), link.peer(), null));
                forgetIfEmpty(c);
            }
        }
        // NODE: the node cluster keeps a peer's state and load
    }
}
