package org.dapstream.ops;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.dapstream.cluster.Balancer;
import org.dapstream.cluster.ClusterService;
import org.dapstream.cluster.Clusters;
import org.dapstream.cluster.Discovery;
import org.dapstream.cluster.MemberEndpoint;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.cluster.Rebalancer;
import org.dapstream.cluster.SlowMemberPolicy;
import org.dapstream.cluster.StaticDiscovery;
import org.dapstream.cluster.kubernetes.KubernetesDiscovery;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamSecurity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The node's named clusters (always: a lone node serves them to its own clients) and its
 * membership in the node cluster (when there are other members): discovery, the cluster
 * port and the links. The stream endpoint calls {@link #prepare} before it accepts streams;
 * the node cluster starts after it, since it needs the endpoint's identity and port.
 */
@ApplicationScoped
public class ClusterEndpoint {
    private static final System.Logger LOG = System.getLogger(ClusterEndpoint.class.getName());
    /** After the stream endpoint's start-up observer (default priority 2500). */
    static final int START_PRIORITY = 3000;
    static final String WILDCARD_V4 = "0.0.0.0";
    static final String WILDCARD_V6 = "::";

    private final StreamServerConfig config;
    private final Instance<KubernetesClient> kubernetes;
    private final DrainState drain;
    private volatile Clusters clusters;
    private volatile NodeCluster cluster;
    private volatile Rebalancer rebalancer;

    ClusterEndpoint(StreamServerConfig config, Instance<KubernetesClient> kubernetes, DrainState drain) {
        this.config = config;
        this.kubernetes = kubernetes;
        this.drain = drain;
    }

    /** Creates the named clusters of node {@code self} and serves CLUSTER channels on {@code services}. */
    void prepare(NodeAddress self, ChannelRegistry services) {
        StreamServerConfig.ClusterSettings c = config.cluster();
        Balancer balancer = parse("dap.stream.cluster.balancer", () -> Balancer.parse(c.balancer()));
        SlowMemberPolicy slow = parse("dap.stream.cluster.slow-member", () -> SlowMemberPolicy.parse(c.slowMember()));
        Map<String, Set<NodeAddress>> allow = new HashMap<>();
        for (Map.Entry<String, List<String>> e : c.allow().entrySet()) {
            Set<NodeAddress> nodes = new HashSet<>();
            for (String a : e.getValue()) {
                nodes.add(parse("dap.stream.cluster.allow.\"" + e.getKey() + "\"", () -> NodeAddress.parse(a.trim())));
            }
            allow.put(e.getKey(), nodes);
        }
        Clusters created = new Clusters(self, new Clusters.Settings(balancer, Clusters.Settings.DEFAULT_MAX_CLUSTERS, allow,
                config.flow().maxMessageSize()));
        services.register(new ClusterService(created, parse("dap.stream.cluster.max-joins-per-channel/-stream",
                () -> new ClusterService.Settings(c.maxJoinsPerChannel(), c.maxJoinsPerStream(), slow))));
        clusters = created;
    }

    void onStart(@Observes @Priority(START_PRIORITY) StartupEvent event, Vertx vertx, StreamEndpoint endpoint) {
        StreamServerConfig.ClusterSettings c = config.cluster();
        Discovery discovery = discovery(c);
        if (discovery == null) {
            LOG.log(System.Logger.Level.DEBUG, "no other cluster members configured: this node runs alone");
            return;
        }
        if (!endpoint.enabled() || endpoint.identity() == null || clusters == null) {
            discovery.close();
            throw new IllegalArgumentException("cluster members are configured (dap.stream.cluster.*) but this node has no secure stream "
                    + "endpoint: enable dap.stream.tcp.enabled and dap.stream.security.enabled");
        }
        HandshakeSettings links = NodeSecurity.linkSettings(config.security(), endpoint.identity(), new SecureRandom());
        if (c.port() < 0 || c.port() > 65535) {
            throw new IllegalArgumentException("dap.stream.cluster.port must be 0..65535, got " + c.port());
        }
        String host = c.host().orElse(config.tcp().host());
        String advertise = advertiseHost(c, host, config.tcp().host());
        String clientEndpoint = new MemberEndpoint(advertise, endpoint.server().port()).toString();
        NodeCluster.LocalState state = new NodeCluster.LocalState() {
            @Override
            public boolean draining() {
                return drain.draining();
            }

            @Override
            public long sessions() {
                return endpoint.sessions().size();
            }

            @Override
            public long streams() {
                return endpoint.counters().liveStreams().size();
            }
        };
        StreamConfig linkStream = ConfigErrors.settings()
                .with("keepAliveInterval", "dap.stream.cluster.link.keepalive-interval", c.link().keepaliveInterval())
                .with("keepAliveTimeout", "dap.stream.cluster.link.keepalive-timeout", c.link().keepaliveTimeout())
                .build(() -> endpoint.streamConfig().withKeepAlive(c.link().keepaliveInterval(), c.link().keepaliveTimeout()));
        NodeCluster started = new NodeCluster(vertx, new NodeCluster.Options(host, c.port(), advertise, linkStream,
                new StreamSecurity(links, config.security().rekey().frames(), config.security().rekey().bytes()), links,
                c.link().backoffInitial(), c.link().backoffMax(), c.loadInterval(), clientEndpoint, c.link().stallTimeout()), discovery, clusters,
                state);
        if (endpoint.sessions().resumption() != null) {
            started.handOverSessions(endpoint.sessions(), endpoint.counters());
            StreamServerConfig.Rebalance r = c.rebalance();
            if (r.enabled()) {
                rebalancer = started.rebalance(endpoint.sessions(), parse("dap.stream.cluster.rebalance.*",
                        () -> new Rebalancer.Settings(r.interval(), r.slack(), r.rate())));
            }
            if (config.session().ticketKey().isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "dap.stream.session.ticket-key is not set: this node's tickets open only here, so "
                        + "its sessions cannot resume at another member (drains and rolling updates end them). Give every member the "
                        + "same key: head -c 32 /dev/urandom | base64");
            }
        }
        started.start();
        cluster = started;
    }

    void onStop(@Observes ShutdownEvent event) {
        NodeCluster c = cluster;
        if (c != null) {
            c.close();
        }
    }

    /** What spreads this node's sessions over the members; null when it runs alone or does not rebalance. */
    public Rebalancer rebalancer() {
        return rebalancer;
    }

    /** This node's cluster, null when it runs alone. */
    public NodeCluster cluster() {
        return cluster;
    }

    /** The named clusters, null before the stream endpoint started. */
    public Clusters clusters() {
        return clusters;
    }

    private Discovery discovery(StreamServerConfig.ClusterSettings c) {
        switch (c.discovery()) {
            case "static" -> {
                List<MemberEndpoint> members = new ArrayList<>();
                for (String m : c.members().orElse(List.of())) {
                    if (!m.isBlank()) {
                        members.add(parse("dap.stream.cluster.members", () -> MemberEndpoint.parse(m)));
                    }
                }
                return members.isEmpty() ? null : new StaticDiscovery(members);
            }
            case "kubernetes" -> {
                KubernetesClient client = kubernetes.get();
                String namespace = KubernetesDiscovery.namespaceOf(c.kubernetes().namespace(), client);
                return new KubernetesDiscovery(client, new KubernetesDiscovery.Settings(namespace, c.kubernetes().service(),
                        c.kubernetes().portName()));
            }
            default -> throw new IllegalArgumentException("dap.stream.cluster.discovery='" + c.discovery() + "'; use static or kubernetes");
        }
    }

    private static String advertiseHost(StreamServerConfig.ClusterSettings c, String clusterHost, String streamHost) {
        if (c.advertiseHost().isPresent() && !c.advertiseHost().get().isBlank()) {
            return c.advertiseHost().get().trim();
        }
        for (String h : List.of(clusterHost, streamHost)) {
            if (!h.equals(WILDCARD_V4) && !h.equals(WILDCARD_V6)) {
                return h;
            }
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("set dap.stream.cluster.advertise-host: this machine's address is unknown ("
                    + e.getMessage() + ")", e);
        }
    }

    private static <T> T parse(String key, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
