package org.dapstream.bench;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.cluster.ClusterService;
import org.dapstream.cluster.Clusters;
import org.dapstream.cluster.MemberEndpoint;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.cluster.StaticDiscovery;
import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.Endorsement;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The member nodes of a broadcast run, in this JVM: each node has a Vert.x of its own
 * ({@code --server-loops} event loops), its own identity endorsed by one generated cluster
 * key, its own cluster port and client port on 127.0.0.1, and static discovery listing every
 * node; its links to the others are secure streams over loopback, both ends proven by the
 * cluster key, as between pods. Nodes share nothing but the JVM (and its JIT and heap).
 */
final class ClusterBed implements AutoCloseable {
    /** How long the nodes may take to link every pair. */
    static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);
    /** How often the formation and interest waits look again. */
    static final Duration POLL = Duration.ofMillis(20);
    /** First reconnect delay of a link, as a quick local cluster forms. */
    static final Duration BACKOFF_INITIAL = Duration.ofMillis(50);
    /** Reconnect delay cap. */
    static final Duration BACKOFF_MAX = Duration.ofSeconds(1);
    /** How often a node tells its links its load: the product's default order, not a hot path. */
    static final Duration LOAD_INTERVAL = Duration.ofSeconds(1);

    /** One member node. */
    record Node(int index, Vertx vertx, NodeCluster cluster, Clusters clusters, StreamServer clientPort, Set<Long> loopThreads) {
        String host() {
            return BenchOptions.EMBEDDED_HOST;
        }

        int port() {
            return clientPort.port();
        }
    }

    private final List<Node> nodes = new ArrayList<>();

    private ClusterBed() {
    }

    /** Starts {@code options.nodes()} nodes and waits until each has a link to every other one. */
    static ClusterBed start(BenchOptions options) throws BenchFailure {
        ClusterBed bed = new ClusterBed();
        try {
            bed.startNodes(options);
            bed.awaitLinks(options.nodes() - 1);
            return bed;
        } catch (BenchFailure | RuntimeException e) {
            bed.close();
            throw e;
        }
    }

    private void startNodes(BenchOptions options) throws BenchFailure {
        SecureRandom random = new SecureRandom();
        NodeIdentity clusterKey = NodeIdentity.generate(options.identity(), random);
        AuthPolicy members = AuthPolicy.clusterSigned(clusterKey.algorithm(), clusterKey.publicKey());
        List<MemberEndpoint> endpoints = reservePorts(options.nodes());
        StreamConfig clientStreams = BroadcastRun.streamConfig(StreamTestbed.streamConfig(options));
        for (int i = 0; i < options.nodes(); i++) {
            NodeIdentity identity = NodeIdentity.generate(options.identity(), random);
            byte[] endorsement = Endorsement.issue(clusterKey, identity.algorithm(), identity.publicKey(), Endorsement.NO_EXPIRY).encode();
            HandshakeSettings linkHandshake = HandshakeSettings.defaults(identity, random).withEndorsement(endorsement).withPeerPolicy(members);
            Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.serverLoops()));
            Clusters clusters = new Clusters(identity.address(), Clusters.Settings.defaults());
            ChannelRegistry services = new ChannelRegistry().register(new ClusterService(clusters, ClusterService.Settings.defaults()));
            StreamSecurity clientSecurity = options.secure() ? StreamSecurity.of(HandshakeSettings.defaults(identity, random)) : null;
            StreamServer clientPort = new StreamServer(vertx, new StreamServerOptions(BenchOptions.EMBEDDED_HOST, 0, options.serverLoops(),
                    clientStreams, identity.address(), clientSecurity,
                    EmbeddedServer.gateFor(options.members() + 1), EmbeddedServer.capsFor(options.members() + 1)),
                    services, new Sessions(), new StreamCounters());
            Set<Long> loopThreads = ConcurrentHashMap.newKeySet();
            // Registered before anything can fail, so that close() stops what did start.
            NodeCluster[] cluster = new NodeCluster[1];
            try {
                clientPort.start().toCompletionStage().toCompletableFuture().get(Testbed.SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                cluster[0] = new NodeCluster(vertx, new NodeCluster.Options(BenchOptions.EMBEDDED_HOST, endpoints.get(i).port(),
                        BenchOptions.EMBEDDED_HOST, StreamConfig.defaults(), StreamSecurity.of(linkHandshake), linkHandshake,
                        BACKOFF_INITIAL, BACKOFF_MAX, LOAD_INTERVAL, BenchOptions.EMBEDDED_HOST + ":" + clientPort.port()),
                        new StaticDiscovery(endpoints), clusters, localState(clientPort));
                nodes.add(new Node(i, vertx, cluster[0], clusters, clientPort, loopThreads));
                cluster[0].start();
            } catch (Exception e) {
                if (cluster[0] == null) {
                    nodes.add(new Node(i, vertx, null, clusters, clientPort, loopThreads));
                }
                throw new BenchFailure("member node " + i + " did not start: " + e, e);
            }
            learnLoopThreads(vertx, loopThreads);
        }
    }

    private static NodeCluster.LocalState localState(StreamServer clientPort) {
        return new NodeCluster.LocalState() {
            @Override
            public boolean draining() {
                return false;
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
    }

    /** Each node's cluster port: free ports on loopback, listed to every node (static discovery needs them before start). */
    private static List<MemberEndpoint> reservePorts(int n) throws BenchFailure {
        List<MemberEndpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(BenchOptions.EMBEDDED_HOST))) {
                out.add(new MemberEndpoint(BenchOptions.EMBEDDED_HOST, s.getLocalPort()));
            } catch (IOException e) {
                throw new BenchFailure("no free port on " + BenchOptions.EMBEDDED_HOST + ": " + e, e);
            }
        }
        return out;
    }

    /** The ids of {@code vertx}'s event-loop threads, for the node's CPU time. */
    static void learnLoopThreads(Vertx vertx, Set<Long> into) throws BenchFailure {
        List<EventExecutor> loops = new ArrayList<>();
        vertx.nettyEventLoopGroup().forEach(loops::add);
        CountDownLatch seen = new CountDownLatch(loops.size());
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                into.add(Thread.currentThread().getId());
                seen.countDown();
            });
        }
        try {
            if (!seen.await(Testbed.SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchFailure("the event loops of a node did not answer within " + BenchOptions.format(Testbed.SETUP_TIMEOUT));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted while starting the member nodes");
        }
    }

    /** CPU nanoseconds the given threads have used so far (threads that ended count no more). */
    static long threadCpu(Set<Long> threads) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads) {
            long t = mx.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private void awaitLinks(int peers) throws BenchFailure {
        awaitCondition("every node linked to the " + peers + " others", FORM_TIMEOUT,
                () -> nodes.stream().allMatch(n -> n.cluster().links().size() == peers));
    }

    /** Waits until every node sees {@code members} members of cluster {@code name} (interest propagated). */
    void awaitMembers(String name, int members) throws BenchFailure {
        awaitCondition("every node seeing the " + members + " members of " + name, FORM_TIMEOUT,
                () -> nodes.stream().allMatch(n -> n.clusters().find(name) != null && n.clusters().find(name).membersCount() == members));
    }

    static void awaitCondition(String what, Duration limit, BooleanSupplier done) throws BenchFailure {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new BenchFailure("timed out after " + BenchOptions.format(limit) + " waiting for " + what);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchFailure("interrupted while waiting for " + what);
            }
        }
    }

    List<Node> nodes() {
        return nodes;
    }

    /** Each node's address, in node order. */
    List<NodeAddress> addresses() {
        return nodes.stream().map(n -> n.clusters().self()).toList();
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            if (n.cluster() != null) {
                n.cluster().close();
            }
        }
        for (Node n : nodes) {
            try {
                n.clientPort().stop().toCompletionStage().toCompletableFuture().get(Testbed.CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // Its Vert.x closes below and takes the port with it.
            }
            n.vertx().close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
