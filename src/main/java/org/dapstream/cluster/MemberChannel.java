package org.dapstream.cluster;

import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client session's CLUSTER channel: the named clusters it joined (each under a ref of its
 * own), what it publishes and sends, and the back-pressure of its deliveries. A member that
 * stops reading fills what is queued for it; once that passes {@link #queueBound} deliveries
 * to it are only counted (or, by policy, the channel ends with ERROR SLOW_CONSUMER), and when its
 * queue drains it gets one GAP per cluster with the count it missed. So what is queued for
 * one member is bounded by its channel's send buffer, and a slow member never holds up the
 * others; a member that only falls behind for a moment (its socket full for a turn) misses
 * nothing.
 */
final class MemberChannel {
    private static final System.Logger LOG = System.getLogger(MemberChannel.class.getName());

    private final Channel channel;
    private final Clusters clusters;
    private final ClusterService.Settings settings;
    private final int session;
    private final NodeAddress node;
    /** Proven in the handshake (the node asked for client authentication): the node address an allow-list can trust. */
    private final boolean authenticated;
    /** Joined clusters by name; touched on the channel's event loop only. */
    private final Map<String, ChannelMember> joined = new HashMap<>();
    private int nextRef = 1;
    /**
     * This publisher's sequence numbers per cluster: [0] broadcasts, [1] balanced messages, each
     * 1, 2, 3, ... Only clusters that exist get an entry, so the map is bounded by the node's
     * cluster count.
     */
    private final Map<Cluster, long[]> seqs = new HashMap<>();
    private volatile boolean blocked;
    private volatile boolean missedSome;
    /**
     * What may be queued for this member (its stream's output not yet sent: the connection's
     * queue and its channels' send queues) before deliveries to it stop: its channel's send
     * buffer ({@code dap.stream.flow.channel-send-buffer}), and at most half the stream's output
     * budget, so that deliveries alone never make the stream stop reading its member.
     */
    private final long queueBound;
    /** The thread of the channel's event loop: its queue can be read exactly there only. */
    private final Thread loop;

    /** Memberships of all CLUSTER channels of this channel's stream (capped per stream). */
    private final AtomicInteger streamJoins;
    /** Publisher sequence maps are swept of retired clusters once they hold this many. */
    static final int SEQ_SWEEP_AT = 64;
    private boolean failedSlow;

    MemberChannel(Channel channel, Clusters clusters, ClusterService.Settings settings, AtomicInteger streamJoins) {
        this.streamJoins = streamJoins;
        this.channel = channel;
        this.clusters = clusters;
        this.settings = settings;
        this.session = channel.session() == null ? 0 : channel.session().id();
        this.authenticated = channel.stream().peerIdentity() != null;
        this.node = authenticated ? channel.stream().peerIdentity().address() : channel.stream().node();
        this.queueBound = Math.min(channel.stream().config().flow().channelSendBuffer(), channel.stream().outputBudget() / 2L);
        this.loop = Thread.currentThread(); // opened on the stream's loop, which is one thread
    }

    int session() {
        return session;
    }

    NodeAddress node() {
        return node;
    }

    long queuedBytes() {
        return channel.queuedBytes();
    }

    boolean blocked() {
        return blocked;
    }

    // ---- client → node ----

    void join(ClusterMessage.Join j) {
        ChannelMember already = joined.get(j.name());
        if (already != null) {
            reply(new ClusterMessage.Joined(j.request(), already.ref, already.cluster.membersCount()));
            return;
        }
        if (joined.size() >= settings.maxJoinsPerChannel()) {
            refuse(j.request(), ErrorCode.RESOURCE_EXHAUSTED, "this channel is a member of " + joined.size()
                    + " clusters, the most one channel may join (dap.stream.cluster.max-joins-per-channel); leave one or open another channel");
            return;
        }
        if (streamJoins.get() >= settings.maxJoinsPerStream()) {
            refuse(j.request(), ErrorCode.RESOURCE_EXHAUSTED, "this stream's channels are members of " + streamJoins.get()
                    + " clusters, the most one stream may join (dap.stream.cluster.max-joins-per-stream)");
            return;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            Cluster c = clusters.obtain(j.name(), false);
            if (c == null) {
                refuse(j.request(), ErrorCode.RESOURCE_EXHAUSTED, "this node holds the most named clusters it may; try again later");
                return;
            }
            if (!admitted(c, j.request(), "join")) {
                clusters.forgetIfEmpty(c);
                return;
            }
            ChannelMember m = new ChannelMember(c, nextRef, this);
            if (c.addLocal(m)) { // false: its last member left on another loop meanwhile and it was retired: obtain it again
                nextRef++;
                streamJoins.incrementAndGet();
                joined.put(j.name(), m);
                reply(new ClusterMessage.Joined(j.request(), m.ref, c.membersCount()));
                return;
            }
        }
        refuse(j.request(), ErrorCode.RESOURCE_EXHAUSTED, "cluster " + j.name() + " was being removed; join again");
    }

    void leave(ClusterMessage.Leave l) {
        ChannelMember m = joined.remove(l.name());
        if (m == null) {
            refuse(l.request(), ErrorCode.NOT_A_MEMBER, "this channel did not join cluster " + l.name());
            return;
        }
        m.cluster.removeLocal(m);
        streamJoins.decrementAndGet();
        reply(new ClusterMessage.Left(l.request(), m.ref));
    }

    void publish(ClusterMessage.Publish p) {
        Cluster c = clusters.find(p.name());
        if (c == null) {
            return; // nobody anywhere is a member: delivered to none, as a publish to an empty cluster is
        }
        if (!admitted(c, 0, "publish to") || !fits(c, p.payload().remaining())) {
            return;
        }
        Link full = clusters.publish(c, session, ++seqs(c)[0], p.payload());
        if (full != null) {
            holdPublisher(full);
        }
    }

    /** Refuses (MESSAGE_TOO_LARGE) a message that would not fit a member's channel or a link with its headers. */
    private boolean fits(Cluster c, int payload) {
        int max = Clusters.maxPayload(c, channel.stream().config().flow().maxMessageSize());
        if (payload <= max) {
            return true;
        }
        refuse(0, ErrorCode.MESSAGE_TOO_LARGE, "a message of this cluster carries at most " + max + " bytes, this one " + payload);
        return false;
    }

    private long[] seqs(Cluster c) {
        if (seqs.size() >= SEQ_SWEEP_AT && !seqs.containsKey(c)) {
            seqs.keySet().removeIf(Cluster::retired); // clusters forgotten since: their numbers start again if they come back
        }
        return seqs.computeIfAbsent(c, k -> new long[2]);
    }

    void send(ClusterMessage.Send s) {
        Cluster c = clusters.find(s.name());
        if (c != null && (!admitted(c, 0, "send to") || !fits(c, s.payload().remaining()))) {
            return;
        }
        Clusters.SendOutcome sent = c == null ? Clusters.SendOutcome.NO_MEMBER
                : clusters.send(c, s.key().length == 0 ? null : s.key(), session, seqs(c)[1] + 1, s.payload());
        if (!sent.delivered()) {
            refuse(0, ErrorCode.CLUSTER_REFUSED, "the cluster has no member to send to");
            return;
        }
        seqs.get(c)[1]++;
        if (sent.full() != null) {
            holdPublisher(sent.full());
        }
    }

    /** The channel closed: it leaves every cluster it joined. */
    void closed() {
        for (ChannelMember m : List.copyOf(joined.values())) {
            m.cluster.removeLocal(m);
            streamJoins.decrementAndGet();
        }
        joined.clear();
    }

    private boolean admitted(Cluster c, int request, String what) {
        if (c.admits(authenticated ? node : null)) {
            return true;
        }
        refuse(request, ErrorCode.CLUSTER_REFUSED, authenticated
                ? "node " + node + " may not " + what + " cluster " + c.name() + " (not on its allow-list, dap.stream.cluster.allow)"
                : "cluster " + c.name() + " admits listed nodes only, and this stream did not authenticate (the node must ask "
                        + "for client authentication: dap.stream.security.auth=allow-list or cluster-signed)");
        return false;
    }

    /** The link this publisher's message went on is full: stop reading the publisher until it drains (its window then stops it). */
    private void holdPublisher(Link full) {
        channel.pause();
        full.channel().whenWritable().whenComplete((v, e) -> channel.resume()); // a link that closes completes it too
    }

    // ---- node → client ----

    void refuse(int request, ErrorCode code, String reason) {
        reply(new ClusterMessage.Refused(request, code.code(), reason));
    }

    /**
     * An answer to the client. A client that does not read its answers is not read either:
     * the channel pauses until they drain, so its own window stops its requests; past the
     * stream's output budget the channel ends with RESOURCE_EXHAUSTED.
     */
    private void reply(ClusterMessage m) {
        boolean accepted;
        try {
            accepted = channel.write(PacketType.DATA, ClusterCodec.encode(m));
        } catch (IllegalStateException e) {
            return; // closed meanwhile
        }
        if (accepted) {
            return;
        }
        if (channel.stream().queuedOutputBytes() > channel.stream().outputBudget()) {
            channel.fail(ErrorCode.RESOURCE_EXHAUSTED, "this client does not read the node's answers");
            return;
        }
        channel.pause();
        channel.whenWritable().whenComplete((v, e) -> channel.resume());
    }

    /**
     * True when a delivery of {@code length} bytes would take what is queued for this member
     * past its bound, or its stream's output past the stream's budget (a stream with many
     * member channels). An empty queue always takes one message, so a message larger than the
     * bound still reaches a member that reads. Read from other threads these are a moment
     * old: the bound holds to about one message.
     */
    boolean full(int length) {
        long mine = channel.queuedBytes();
        if (mine > 0 && mine + length > queueBound) {
            return true;
        }
        long stream = channel.stream().queuedOutputBytes();
        return stream > 0 && stream + length > channel.stream().outputBudget();
    }

    /** Delivers one message to the member (counted); a write told to wait blocks deliveries until the channel drains. */
    void deliver(byte[] message) {
        clusters.delivered();
        write(message);
    }

    /**
     * Writes one message to the member. A write told to wait took the message all the same
     * (the member's socket is over its high-water mark, or its channel's queue over the send
     * buffer); deliveries then go on while what is queued for the member stays within
     * {@link #queueBound}, and past it they stop until the channel drains. Off the channel's
     * loop the queue cannot be read (writes from other threads wait in tasks), so there the
     * first wait stops them.
     */
    void write(byte[] message) {
        boolean accepted;
        try {
            accepted = channel.write(PacketType.DATA, message);
        } catch (IllegalStateException e) {
            return; // the channel closed meanwhile: it is leaving its clusters
        }
        if (!accepted && (Thread.currentThread() != loop || channel.stream().queuedOutputBytes() > queueBound)) {
            block();
        }
    }

    private void block() {
        blocked = true;
        channel.whenWritable().whenComplete((v, e) -> {
            if (e == null) {
                unblock();
            }
        });
    }

    /** A delivery found the member blocked: by policy, end it, or report what it missed later. */
    void missed(ChannelMember m) {
        missedSome = true;
        clusters.missedOne();
        if (!blocked) {
            block(); // found full before any write said so: the GAP goes out once the channel drains
        }
        if (settings.slowMember() == SlowMemberPolicy.DISCONNECT && !failedSlow) {
            failedSlow = true;
            LOG.log(System.Logger.Level.DEBUG, "ending slow member " + node + " session " + Integer.toUnsignedString(session));
            channel.fail(ErrorCode.SLOW_CONSUMER, "this member did not read its cluster messages fast enough (cluster "
                    + m.cluster.name() + ")");
        }
    }

    /** The channel can take more: first each cluster's GAP, then deliveries again. */
    private void unblock() {
        blocked = false;
        if (!missedSome) {
            return;
        }
        missedSome = false;
        for (ChannelMember m : List.copyOf(joined.values())) {
            long n = m.missed.getAndSet(0);
            if (n > 0) {
                clusters.gapNotice();
                write(ClusterCodec.encode(new ClusterMessage.Gap(m.ref, n)));
            }
        }
    }
}
