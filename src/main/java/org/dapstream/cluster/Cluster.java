package org.dapstream.cluster;

import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seed's {@code dap_cluster_t}: a named group whose members are sessions, wherever in the
 * node cluster they are connected. A message published to it reaches every member once
 * ({@link #publish}); a message sent to it reaches one member chosen by its balancer
 * ({@link #send}). Thread-safe; the member lists are copied on change and read without locks
 * on the delivery path.
 */
public final class Cluster {
    private final String name;
    private final byte[] nameBytes;
    private final UUID id;
    private final Clusters clusters;
    private final Set<NodeAddress> allowed;
    private volatile Balancer balancer;
    private volatile LocalMember[] locals = new LocalMember[0];
    /** Members held by other nodes, by the node that holds them. */
    private final Map<NodeAddress, Set<RemoteMember>> remote = new ConcurrentHashMap<>();
    /** The nodes that hold at least one member: where a broadcast goes. */
    private volatile NodeAddress[] interested = new NodeAddress[0];
    /** The node API's own sequence numbers in this cluster (publisher 0): broadcasts, balanced messages. */
    final AtomicLong nodeBroadcastSeq = new AtomicLong();
    final AtomicLong nodeBalancedSeq = new AtomicLong();
    /** Forgotten by the registry: nothing may join this object any more (a join obtains the cluster again). */
    private boolean retired;
    /** Created through the API: stays when it has no members (an implicit one goes with its last member). */
    private final boolean pinned;

    Cluster(String name, Clusters clusters, Balancer balancer, Set<NodeAddress> allowed, boolean pinned) {
        this.name = name;
        this.nameBytes = ClusterCodec.nameBytes(name);
        this.id = idOf(name);
        this.clusters = clusters;
        this.balancer = balancer;
        this.allowed = allowed == null ? null : Set.copyOf(allowed);
        this.pinned = pinned;
    }

    /**
     * The cluster's id: the same on every node for one name (the first 16 bytes of
     * SHA-256("dap-stream cluster" 0x00 name)), so nodes and logs agree on it without asking.
     */
    public static UUID idOf(String name) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("dap-stream cluster".getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            byte[] h = sha.digest(name.getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.wrap(h);
            return new UUID(b.getLong(), b.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public String name() {
        return name;
    }

    Clusters clusters() {
        return clusters;
    }

    byte[] nameBytes() {
        return nameBytes;
    }

    /** The seed's {@code guuid}. */
    public UUID id() {
        return id;
    }

    /** Every member, local first; a snapshot. */
    public List<ClusterMember> members() {
        List<ClusterMember> out = new ArrayList<>();
        NodeAddress self = clusters.self();
        for (LocalMember m : locals) {
            out.add(new ClusterMember(m.node(), m.session(), self, true));
        }
        for (Set<RemoteMember> set : remote.values()) {
            for (RemoteMember r : set) {
                out.add(new ClusterMember(r.node(), r.session(), r.at(), false));
            }
        }
        return out;
    }

    /** The seed's {@code members_count}: members on every node. */
    public int membersCount() {
        int n = locals.length;
        for (Set<RemoteMember> set : remote.values()) {
            n += set.size();
        }
        return n;
    }

    /** Members this node holds. */
    public int localMembersCount() {
        return locals.length;
    }

    /** How {@link #send} picks a member. */
    public Balancer balancer() {
        return balancer;
    }

    /** The seed's {@code dap_cluster_enable_load_balancing}: how {@link #send} picks its member from now on. */
    public void enableLoadBalancing(Balancer next) {
        if (next == null) {
            throw new IllegalArgumentException("a balancer: Balancer.parse(\"round-robin\" | \"least-loaded\" | \"hash\")");
        }
        this.balancer = next;
    }

    /** Node addresses admitted to join and publish, or null: any session. */
    public Set<NodeAddress> allowed() {
        return allowed;
    }

    boolean admits(NodeAddress node) {
        return allowed == null || (node != null && allowed.contains(node));
    }

    boolean pinned() {
        return pinned;
    }

    /**
     * Broadcasts {@code payload} from this node's own API (publisher 0): every member on every
     * node gets it once, in the order of this node's publishes.
     *
     * @return false when a link to another node is full: the message went, but wait for
     *         {@link Clusters#whenLinksWritable()} before publishing more
     */
    public boolean publish(byte[] payload) {
        return clusters.publishFromNode(this, ByteBuffer.wrap(payload));
    }

    /**
     * Sends {@code payload} to one member, chosen by the balancer ({@code key} for the hash
     * balancer; null otherwise).
     *
     * @return false when there is no member to send to
     */
    public boolean send(byte[] key, byte[] payload) {
        return clusters.sendFromNode(this, key, ByteBuffer.wrap(payload));
    }

    /** The seed's {@code dap_cluster_member_add} for the node's own API: {@code listener} becomes a member until {@link Membership#leave()}. */
    public Membership join(ClusterListener listener) {
        ListenerMember m = new ListenerMember(this, clusters.self(), clusters.newLocalSession(), listener);
        if (!addLocal(m)) {
            return clusters.create(name).join(listener); // this object was retired as its last member left: join the live one
        }
        return m;
    }

    /** A member the node's own API added. */
    public interface Membership {
        /** The seed's {@code dap_cluster_member_delete}. */
        void leave();

        int session();
    }

    // ---- the member lists (changes are rare; reads are on every delivery) ----

    LocalMember[] locals() {
        return locals;
    }

    NodeAddress[] interested() {
        return interested;
    }

    /** Every candidate for a balanced delivery: local members and those other nodes reported. */
    List<Candidate> candidates() {
        LocalMember[] l = locals;
        List<Candidate> out = new ArrayList<>(l.length + remote.size());
        Collections.addAll(out, l);
        for (Set<RemoteMember> set : remote.values()) {
            out.addAll(set);
        }
        return out;
    }

    LocalMember local(int session) {
        for (LocalMember m : locals) {
            if (m.session() == session) {
                return m;
            }
        }
        return null;
    }

    /** @return false when the cluster was retired meanwhile: obtain it again and join that one */
    boolean addLocal(LocalMember m) {
        synchronized (this) {
            if (retired) {
                return false;
            }
            LocalMember[] l = Arrays.copyOf(locals, locals.length + 1);
            l[l.length - 1] = m;
            locals = l;
        }
        clusters.announce(this, m, true);
        return true;
    }

    /** Marks the cluster retired when it has no member left: the registry may forget it. */
    synchronized boolean retireIfEmpty() {
        if (membersCount() == 0) {
            retired = true;
        }
        return retired;
    }

    /** True once the registry forgot it. */
    synchronized boolean retired() {
        return retired;
    }

    void removeLocal(LocalMember m) {
        boolean removed = false;
        synchronized (this) {
            List<LocalMember> l = new ArrayList<>(Arrays.asList(locals));
            if (l.remove(m)) {
                locals = l.toArray(new LocalMember[0]);
                removed = true;
            }
        }
        if (removed) {
            clusters.announce(this, m, false);
            clusters.forgetIfEmpty(this);
        }
    }

    /** @return false when the cluster was retired meanwhile */
    synchronized boolean addRemote(RemoteMember m) {
        if (retired) {
            return false;
        }
        remote.computeIfAbsent(m.at(), k -> ConcurrentHashMap.newKeySet()).add(m);
        interested = remote.keySet().toArray(new NodeAddress[0]);
        return true;
    }

    synchronized void removeRemote(RemoteMember m) {
        Set<RemoteMember> set = remote.get(m.at());
        if (set != null && set.remove(m) && set.isEmpty()) {
            remote.remove(m.at());
            interested = remote.keySet().toArray(new NodeAddress[0]);
        }
    }

    /** Drops every member {@code node} held (its link went down). */
    synchronized boolean dropNode(NodeAddress node) {
        if (remote.remove(node) != null) {
            interested = remote.keySet().toArray(new NodeAddress[0]);
            return true;
        }
        return false;
    }

    /** The members {@code node} holds, for a reload of their load. */
    Set<RemoteMember> heldBy(NodeAddress node) {
        return remote.getOrDefault(node, Set.of());
    }

    @Override
    public String toString() {
        return "cluster " + name + " (" + id + ", " + membersCount() + " members)";
    }
}
