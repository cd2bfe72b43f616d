package org.dapstream.cluster;

import io.vertx.core.Vertx;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.Backoff;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The node cluster: the replicas of one deployment, as discovery lists them, and this
 * node's links to them. It binds the cluster port (links are accepted there, both ends
 * proven by the cluster key), dials each member whose address is higher than this node's,
 * and keeps a member table for the admin API, metrics and readiness. Thread-safe.
 */
public final class NodeCluster implements DiscoveryListener, LinkListener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeCluster.class.getName());
    /** How long start waits for the cluster port to bind. */
    static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    /** How long stopping waits for the peers to answer the links' CLOSE. */
    static final Duration LINK_CLOSE_WAIT = Duration.ofSeconds(1);

    /**
     * @param host           address the cluster port binds
     * @param port           the cluster port; 0 picks a free one
     * @param advertiseHost  the host other members list this node under (to recognise itself without dialling)
     * @param stream         limits and timers of link streams (their keepalive detects a crashed member)
     * @param acceptor       the cluster port's handshake: this node's endorsed identity, cluster-signed policy
     * @param dialer         the same for dialling members
     * @param backoffInitial first reconnect delay
     * @param backoffMax     reconnect delay cap
     * @param loadInterval   how often this node tells its links its state and load
     * @param clientEndpoint where clients reach this node ({@code host:port}), told to the other members for GOAWAY alternates
     * @param stallTimeout   a link with messages queued and no credit from its peer this long is failed (OUTPUT_STALLED):
     *                       a member that answers keepalives but never reads holds no publisher for longer
     */
    public record Options(String host, int port, String advertiseHost, StreamConfig stream, StreamSecurity acceptor,
                          HandshakeSettings dialer, Duration backoffInitial, Duration backoffMax, Duration loadInterval,
                          String clientEndpoint, Duration stallTimeout) {
        /** 30 s: far beyond a peer's pause for GC or a busy loop, well within what an operator notices. */
        public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

        public Options(String host, int port, String advertiseHost, StreamConfig stream, StreamSecurity acceptor,
                       HandshakeSettings dialer, Duration backoffInitial, Duration backoffMax, Duration loadInterval,
                       String clientEndpoint) {
            this(host, port, advertiseHost, stream, acceptor, dialer, backoffInitial, backoffMax, loadInterval, clientEndpoint,
                    DEFAULT_STALL_TIMEOUT);
        }
    }

    /** What this node tells its links about itself. */
    public interface LocalState {
        boolean draining();

        long sessions();

        long streams();
    }

    private final Vertx vertx;
    private final Options options;
    private final Discovery discovery;
    private final NodeAddress self;
    private final Links links;
    private final Map<MemberEndpoint, Entry> members = new HashMap<>();
    private final Clusters clusters;
    private final LocalState local;
    /** Links whose messages waited without a byte sent, since when (nanoTime) and at how many bytes sent; checked every load interval. */
    private final Map<Link, long[]> stalledSince = new ConcurrentHashMap<>();
    /** Each linked peer's last NODE message: its state, load and client endpoint. */
    private final Map<NodeAddress, LinkMessage.Node> peers = new ConcurrentHashMap<>();
    private long loadTimer = -1;
    private final SecureRandom random = new SecureRandom();
    private volatile DiscoveryStatus status = DiscoveryStatus.failed("discovery not started", null, 0);
    private StreamServer server;
    private StreamClient client;
    private volatile boolean closed;
    private volatile SessionHandOvers handOvers;
    private Rebalancer rebalancer;

    private record Entry(DiscoveredMember member, LinkDialer dialer) {
    }

    public NodeCluster(Vertx vertx, Options options, Discovery discovery, Clusters clusters, LocalState local) {
        this.vertx = vertx;
        this.options = options;
        this.discovery = discovery;
        this.self = options.acceptor().handshake().identity().address();
        this.links = new Links(self);
        this.clusters = clusters;
        this.local = local;
        links.listen(this);
        clusters.links(links);
    }

    /**
     * Client sessions move between this node and the other members (PROTOCOL.md section 33):
     * {@code sessions} are this node's, taken over from and handed to the members it links to.
     * Before {@link #start}.
     */
    public void handOverSessions(Sessions sessions, StreamCounters counters) {
        SessionHandOvers h = new SessionHandOvers(vertx, links, sessions, counters);
        handOvers = h;
        sessions.handOver(h);
    }

    /**
     * This node's client sessions are spread over the members as they come and go
     * ({@link Rebalancer}); after {@link #handOverSessions}, before {@link #start}.
     */
    public Rebalancer rebalance(Sessions sessions, Rebalancer.Settings settings) {
        rebalancer = new Rebalancer(vertx, this, sessions, settings, options.loadInterval(), local::draining);
        return rebalancer;
    }

    /** Binds the cluster port, then starts discovery (which starts the dialling). */
    public void start() {
        ChannelRegistry services = new ChannelRegistry().register(new LinkService(self, links));
        StreamServerOptions serverOptions = new StreamServerOptions(options.host(), options.port(), 1, options.stream(), self,
                options.acceptor(), null, null);
        server = new StreamServer(vertx, serverOptions, services, new Sessions(), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().orTimeout(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
        client = new StreamClient(vertx, new ClientOptions(options.stream(), NodeAddress.NONE, ClientOptions.DEFAULT_CONNECT_TIMEOUT,
                ClientOptions.DEFAULT_EVENT_LOOPS, options.dialer()), new ChannelRegistry());
        LOG.log(System.Logger.Level.INFO, "cluster links on " + options.host() + ":" + server.port() + " (discovery " + discovery.mode()
                + ", this node " + self + " at " + advertised() + ")");
        loadTimer = vertx.setPeriodic(options.loadInterval().toMillis(), id -> {
            tellLinks();
            failStalledLinks(System.nanoTime());
        });
        discovery.start(this);
        if (rebalancer != null) {
            rebalancer.start();
        }
    }

    // ---- what links carry ----

    private byte[] nodeMessage() {
        return LinkCodec.encode(new LinkMessage.Node(local.draining() ? LinkMessage.NodeState.DRAINING : LinkMessage.NodeState.READY,
                local.sessions(), local.streams(), options.clientEndpoint()));
    }

    /** State and load to every link (each interval, and at once when draining starts). */
    public void tellLinks() {
        byte[] node = nodeMessage();
        for (Link l : links.all()) {
            l.send(node);
        }
    }

    /**
     * Fails each link that had messages waiting and sent no byte of them for the stall timeout:
     * its peer keeps answering keepalives but gives no credit, and would hold the publishers
     * whose messages went on it. Its dialling end dials again.
     */
    void failStalledLinks(long now) {
        for (Link l : links.all()) {
            long sent = l.channel().stats().bytesSent();
            long[] mark = stalledSince.get(l);
            if (l.channel().queuedBytes() == 0 || mark == null || mark[1] != sent) {
                // nothing waits, or bytes went out since the last look: not stalled (again: from now)
                if (l.channel().queuedBytes() == 0) {
                    stalledSince.remove(l);
                } else {
                    stalledSince.put(l, new long[] {now, sent});
                }
                continue;
            }
            if (now - mark[0] >= options.stallTimeout().toNanos()) {
                stalledSince.remove(l);
                LOG.log(System.Logger.Level.WARNING, "ending " + l + ": its peer gave no credit for " + options.stallTimeout().toMillis()
                        + " ms with " + l.channel().queuedBytes() + " bytes waiting");
                l.channel().fail(ErrorCode.OUTPUT_STALLED, "no credit for " + options.stallTimeout().toMillis() + " ms");
            }
        }
    }

    @Override
    public void linkUp(Link link) {
        link.send(nodeMessage());
        clusters.linkUp(link);
    }

    @Override
    public void message(Link link, ByteBuffer data) {
        LinkMessage m;
        try {
            m = LinkCodec.decode(data);
        } catch (ProtocolException e) {
            LOG.log(System.Logger.Level.WARNING, "ending " + link + ": " + e);
            link.channel().fail(e.code(), e.getMessage()); // the link is down; the dialling end dials again
            return;
        }
        if (m instanceof LinkMessage.HandOverAsk || m instanceof LinkMessage.HandOverPart || m instanceof LinkMessage.HandOverRefused
                || m instanceof LinkMessage.SessionClaim || m instanceof LinkMessage.ClaimGranted) {
            SessionHandOvers h = handOvers;
            if (h == null) {
                if (m instanceof LinkMessage.HandOverAsk ask) {
                    link.send(LinkCodec.encode(new LinkMessage.HandOverRefused(ask.request(), ErrorCode.SESSION_UNKNOWN, null,
                            "this member keeps no client sessions")));
                } else if (m instanceof LinkMessage.SessionClaim claim) {
                    link.send(LinkCodec.encode(new LinkMessage.HandOverRefused(claim.request(), ErrorCode.HANDOVER_FAILED, null,
                            "this member keeps no client sessions")));
                }
                return;
            }
            try {
                h.onMessage(link, m);
            } catch (ProtocolException e) {
                LOG.log(System.Logger.Level.WARNING, "ending " + link + ": " + e);
                link.channel().fail(e.code(), e.getMessage());
            }
        } else if (m instanceof LinkMessage.Node n) {
            LinkMessage.Node before = peers.put(link.peer(), n);
            if (before == null || before.state() != n.state()) {
                LOG.log(System.Logger.Level.INFO, "member " + link.peer() + " is " + n.state() + " (clients at " + n.endpoint() + ")");
            }
        } else {
            try {
                clusters.onLinkMessage(link, m);
            } catch (ProtocolException e) {
                LOG.log(System.Logger.Level.WARNING, "ending " + link + ": " + e);
                link.channel().fail(e.code(), e.getMessage());
            } catch (RuntimeException e) {
                // A bug here must not cost the link its peer's members, silently: fail it loudly and let it be dialled again.
                LOG.log(System.Logger.Level.ERROR, "ending " + link + ": handling " + m.getClass().getSimpleName() + " failed", e);
                link.channel().fail(ErrorCode.INTERNAL_ERROR, "handling " + m.getClass().getSimpleName() + " failed");
            }
        }
    }

    @Override
    public void linkDown(Link link, CloseReason reason) {
        stalledSince.remove(link);
        peers.remove(link.peer());
        SessionHandOvers h = handOvers;
        if (h != null) {
            h.linkDown(link);
        }
        clusters.linkDown(link);
    }

    /** A linked peer's last NODE message, or null. */
    public LinkMessage.Node peer(NodeAddress node) {
        return peers.get(node);
    }

    /**
     * The least-loaded ready member other than this node, {@code host:port} of its client
     * endpoint, for a GOAWAY's alternate; empty when none is known. The host is the one
     * discovery lists for that member, never the one it told: a member may say which port its
     * clients use, not send this node's clients to another host.
     */
    public String alternate() {
        String best = "";
        long load = Long.MAX_VALUE;
        for (Map.Entry<String, Long> e : readyEndpoints().entrySet()) {
            if (e.getValue() < load) {
                best = e.getKey();
                load = e.getValue();
            }
        }
        return best;
    }

    /**
     * The ready members other than this node that clients can be sent to: the client endpoint
     * of each ({@code host:port}, the host as discovery lists it, see {@link #alternate()}) and
     * the sessions it last said it had.
     */
    public Map<String, Long> readyEndpoints() {
        Map<NodeAddress, String> hosts = new HashMap<>();
        for (MemberView m : members()) {
            if (m.node() != null && m.state() == MemberState.READY) {
                hosts.put(m.node(), m.endpoint().host());
            }
        }
        Map<String, Long> ready = new HashMap<>();
        for (Map.Entry<NodeAddress, LinkMessage.Node> e : peers.entrySet()) {
            LinkMessage.Node n = e.getValue();
            Link l = links.to(e.getKey());
            String host = hosts.get(e.getKey());
            if (host == null || l == null || !l.up() || n.state() != LinkMessage.NodeState.READY || n.endpoint().isEmpty()) {
                continue;
            }
            try {
                ready.put(new MemberEndpoint(host, MemberEndpoint.parse(n.endpoint()).port()).toString(), n.sessions());
            } catch (IllegalArgumentException ignored) {
                // the codec admits only host:port endpoints; nothing to use otherwise
            }
        }
        return ready;
    }

    /** This node's address. */
    public NodeAddress self() {
        return self;
    }

    /** The cluster port as bound (0 before start). */
    public int port() {
        StreamServer s = server;
        return s == null ? 0 : s.port();
    }

    /** Where other members reach this node's cluster port. */
    public MemberEndpoint advertised() {
        return new MemberEndpoint(options.advertiseHost(), port());
    }

    public Links links() {
        return links;
    }

    public Discovery discovery() {
        return discovery;
    }

    public DiscoveryStatus discoveryStatus() {
        return status;
    }

    @Override
    public void status(DiscoveryStatus next) {
        status = next;
    }

    @Override
    public void members(Collection<DiscoveredMember> listed) {
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Set<MemberEndpoint> seen = new HashSet<>();
            for (DiscoveredMember m : listed) {
                seen.add(m.endpoint());
                Entry old = members.get(m.endpoint());
                if (old == null) {
                    LinkDialer dialer = new LinkDialer(m.endpoint(), dialContext(), new Backoff(options.backoffInitial(),
                            options.backoffMax(), random));
                    members.put(m.endpoint(), new Entry(m, dialer));
                    if (m.endpoint().equals(advertised())) {
                        dialer.markSelf(self);
                    } else {
                        LOG.log(System.Logger.Level.INFO, "member joined: " + m.name() + " at " + m.endpoint() + " (" + m.state() + ")");
                        after.add(dialer::start);
                    }
                } else if (old.member().state() != m.state()) {
                    members.put(m.endpoint(), new Entry(m, old.dialer()));
                    LOG.log(System.Logger.Level.INFO, "member " + m.name() + " at " + m.endpoint() + " is " + m.state());
                }
            }
            for (var it = members.entrySet().iterator(); it.hasNext(); ) {
                Entry e = it.next().getValue();
                if (!seen.contains(e.member().endpoint())) {
                    it.remove();
                    e.dialer().stop();
                    NodeAddress peer = e.dialer().peer();
                    if (e.dialer().state() != LinkState.SELF) {
                        LOG.log(System.Logger.Level.INFO, "member left: " + e.member().name() + " at " + e.member().endpoint());
                        if (peer != null) {
                            after.add(() -> links.close(peer, "discovery no longer lists this member"));
                        }
                    }
                }
            }
        }
        after.forEach(Runnable::run);
    }

    /** The member table, sorted by endpoint. */
    public List<MemberView> members() {
        List<MemberView> out = new ArrayList<>();
        synchronized (this) {
            for (Entry e : members.values()) {
                LinkDialer d = e.dialer();
                out.add(new MemberView(e.member().endpoint(), e.member().name(), e.member().state(), d.peer(), d.state(),
                        d.lastProblem(), d.since(), d.attempts()));
            }
        }
        out.sort((a, b) -> a.endpoint().compareTo(b.endpoint()));
        return out;
    }

    /** Stops discovery and dialling, closes every link and the cluster port. */
    @Override
    public void close() {
        List<Entry> entries;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            entries = List.copyOf(members.values());
        }
        discovery.close();
        if (loadTimer >= 0) {
            vertx.cancelTimer(loadTimer);
        }
        if (rebalancer != null) {
            rebalancer.close();
        }
        entries.forEach(e -> e.dialer().stop());
        List<CompletableFuture<?>> closing = new ArrayList<>();
        for (Link l : links.all()) {
            closing.add(l.stream().closed());
        }
        links.closeAll("node stopping");
        // The peers answer CLOSE and see an orderly leave (not a lost connection) before the port goes.
        CompletableFuture.allOf(closing.toArray(new CompletableFuture[0])).orTimeout(LINK_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> null).join();
        CompletableFuture<?> stopped = server == null ? CompletableFuture.completedFuture(null)
                : server.stop().toCompletionStage().toCompletableFuture();
        stopped.orTimeout(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> null).join();
        if (client != null) {
            client.close();
        }
    }

    private LinkDialer.Context dialContext() {
        return new LinkDialer.Context() {
            @Override
            public NodeAddress self() {
                return self;
            }

            @Override
            public StreamClient client() {
                return client;
            }

            @Override
            public Links links() {
                return links;
            }

            @Override
            public void schedule(long delayMillis, Runnable task) {
                if (!closed) {
                    vertx.setTimer(Math.max(1, delayMillis), id -> {
                        if (!closed) {
                            task.run();
                        }
                    });
                }
            }
        };
    }
}
