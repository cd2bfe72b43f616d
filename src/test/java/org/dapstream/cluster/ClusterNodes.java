package org.dapstream.cluster;

import io.vertx.core.Vertx;
import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.Endorsement;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.Features;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * In-process member nodes for tests: real cluster ports on 127.0.0.1, real handshakes with
 * identities endorsed by one generated cluster key (Ed25519, for speed), static discovery.
 */
public final class ClusterNodes implements AutoCloseable {
    static final SecureRandom RANDOM = new SecureRandom();
    static final StreamConfig LINK_STREAM = StreamConfig.defaults().withKeepAlive(Duration.ofMillis(200), Duration.ofMillis(800));

    public final Vertx vertx = Vertx.vertx();
    final NodeIdentity clusterKey = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
    public final List<NodeCluster> nodes = new ArrayList<>();
    /** Per started node (same index as {@link #nodes}): its named clusters and its client port. */
    final List<Clusters> named = new ArrayList<>();
    public final List<StreamServer> clientPorts = new ArrayList<>();
    ClusterService.Settings memberSettings = ClusterService.Settings.defaults();
    Clusters.Settings clusterSettings = Clusters.Settings.defaults();
    /** Who may connect to the client ports (open: clients do not authenticate). */
    AuthPolicy clientPolicy = AuthPolicy.open();
    /** How long a link may go without credit while messages wait before it is failed. */
    Duration stallTimeout = NodeCluster.Options.DEFAULT_STALL_TIMEOUT;
    /**
     * When set, the client ports resume sessions (ACKS and RESUMPTION, tickets sealed with this
     * shared key, the session expiry below), serve ECHO, and hand sessions over between members.
     */
    public byte[] ticketKey;
    public Duration sessionExpiry = Duration.ofSeconds(30);
    /** Per started node: whether it says it is draining. */
    final List<AtomicBoolean> draining = new ArrayList<>();
    /**
     * Member {@code i}'s cluster endpoint once it first bound (port 0: the system picks, so no
     * other test can take a port reserved in advance); a restarted member binds it again.
     */
    final List<MemberEndpoint> endpoints = new ArrayList<>();
    /** The member list every node's discovery reports: the endpoints bound so far, told to every node as they appear. */
    private final List<DiscoveryListener> listeners = new CopyOnWriteArrayList<>();

    public ClusterNodes(int n) {
        for (int i = 0; i < n; i++) {
            endpoints.add(null);
        }
    }

    /** Static discovery whose list grows as members bind: every node hears of every endpoint. */
    private final class GrowingList implements Discovery {
        private DiscoveryListener listener;

        @Override
        public void start(DiscoveryListener l) {
            listener = l;
            listeners.add(l);
            l.status(DiscoveryStatus.ok(0));
            l.members(listed());
        }

        @Override
        public DiscoveryStatus status() {
            return DiscoveryStatus.ok(0);
        }

        @Override
        public String mode() {
            return "static";
        }

        @Override
        public void close() {
            listeners.remove(listener);
        }
    }

    private synchronized List<DiscoveredMember> listed() {
        List<DiscoveredMember> out = new ArrayList<>();
        for (MemberEndpoint e : endpoints) {
            if (e != null) {
                out.add(new DiscoveredMember(e, MemberState.READY, e.toString()));
            }
        }
        return out;
    }

    private void bound(int i, int port) {
        synchronized (this) {
            endpoints.set(i, new MemberEndpoint("127.0.0.1", port));
        }
        List<DiscoveredMember> now = listed();
        for (DiscoveryListener l : listeners) {
            l.members(now);
        }
    }

    /** Starts member {@code i} with its own fresh identity, endorsed by the cluster key. */
    public NodeCluster start(int i) {
        return start(i, NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM), true);
    }

    NodeCluster start(int i, NodeIdentity identity, boolean endorsed) {
        byte[] endorsement = endorsed ? Endorsement.issue(clusterKey, identity.algorithm(), identity.publicKey(), Endorsement.NO_EXPIRY).encode()
                : null;
        AuthPolicy members = AuthPolicy.clusterSigned(clusterKey.algorithm(), clusterKey.publicKey());
        HandshakeSettings settings = HandshakeSettings.defaults(identity, RANDOM).withEndorsement(endorsement).withPeerPolicy(members);
        Clusters clusters = new Clusters(identity.address(), clusterSettings);
        ChannelRegistry services = (ticketKey == null ? new ChannelRegistry() : ChannelRegistry.withDiagnostics())
                .register(new ClusterService(clusters, memberSettings)).register(new LinkRefusal());
        HandshakeSettings clientSide = HandshakeSettings.defaults(identity, RANDOM).withPeerPolicy(clientPolicy);
        Sessions sessions = new Sessions();
        StreamCounters counters = new StreamCounters();
        if (ticketKey != null) {
            clientSide = clientSide.withFeatures(Features.ACKS | Features.RESUMPTION);
            sessions.enableResumption(new SessionResumption(new TicketSealer((byte) 1, ticketKey, (byte) 0, null, RANDOM), sessionExpiry,
                    Duration.ofHours(1)));
        }
        StreamServer clientPort = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(), null,
                StreamSecurity.of(clientSide), null, null), services, sessions, counters);
        clientPort.start().toCompletionStage().toCompletableFuture().join();
        AtomicBoolean drains = new AtomicBoolean();
        draining.add(drains);
        NodeCluster.LocalState state = new NodeCluster.LocalState() {
            @Override
            public boolean draining() {
                return drains.get();
            }

            @Override
            public long sessions() {
                return clientPort.sessions().size();
            }

            @Override
            public long streams() {
                return clientPort.connections();
            }
        };
        MemberEndpoint before = endpoints.get(i);
        NodeCluster node = new NodeCluster(vertx, new NodeCluster.Options("127.0.0.1", before == null ? 0 : before.port(), "127.0.0.1", LINK_STREAM,
                StreamSecurity.of(settings), settings, Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofMillis(200),
                "127.0.0.1:" + clientPort.port(), stallTimeout), new GrowingList(), clusters, state);
        if (ticketKey != null) {
            node.handOverSessions(sessions, counters);
        }
        node.start();
        bound(i, node.port());
        nodes.add(node);
        named.add(clusters);
        clientPorts.add(clientPort);
        return node;
    }

    public static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit.toMillis() + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        for (NodeCluster n : nodes) {
            n.close();
        }
        for (StreamServer s : clientPorts) {
            s.stop().toCompletionStage().toCompletableFuture().join();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
