package org.dapstream.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.dapstream.cluster.Discovery;
import org.dapstream.cluster.MemberEndpoint;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.cluster.StaticDiscovery;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.stream.StreamSecurity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts this node's membership in its node cluster after the stream endpoint (it needs the
 * node's identity): discovery, the cluster port and the links. A node with no other members
 * (static discovery, no member list: the default) starts none of it and runs alone.
 */
@ApplicationScoped
public class ClusterEndpoint {
    private static final System.Logger LOG = System.getLogger(ClusterEndpoint.class.getName());
    /** After the stream endpoint's start-up observer (default priority 2500). */
    static final int START_PRIORITY = 3000;
    static final String WILDCARD_V4 = "0.0.0.0";
    static final String WILDCARD_V6 = "::";

    private final StreamEndpoint endpoint;
    private volatile NodeCluster cluster;

    ClusterEndpoint(StreamEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    void onStart(@Observes @Priority(START_PRIORITY) StartupEvent event, Vertx vertx, StreamServerConfig config) {
        StreamServerConfig.ClusterSettings c = config.cluster();
        Discovery discovery = discovery(c);
        if (discovery == null) {
            LOG.log(System.Logger.Level.DEBUG, "no other cluster members configured: this node runs alone");
            return;
        }
        if (!endpoint.enabled() || endpoint.identity() == null) {
            discovery.close();
            throw new IllegalArgumentException("cluster members are configured (dap.stream.cluster.*) but this node has no stream endpoint "
                    + "or no identity: enable dap.stream.tcp.enabled and dap.stream.security.enabled");
        }
        HandshakeSettings links = NodeSecurity.linkSettings(config.security(), endpoint.identity(), new SecureRandom());
        if (c.port() < 0 || c.port() > 65535) {
            throw new IllegalArgumentException("dap.stream.cluster.port must be 0..65535, got " + c.port());
        }
        String host = c.host().orElse(config.tcp().host());
        NodeCluster started = new NodeCluster(vertx, new NodeCluster.Options(host, c.port(), advertiseHost(c, host, config.tcp().host()),
                endpoint.streamConfig(), new StreamSecurity(links, config.security().rekey().frames(), config.security().rekey().bytes()),
                links, c.link().backoffInitial(), c.link().backoffMax()), discovery);
        started.start();
        cluster = started;
    }

    void onStop(@Observes ShutdownEvent event) {
        NodeCluster c = cluster;
        if (c != null) {
            c.close();
        }
    }

    /** This node's cluster, null when it runs alone. */
    public NodeCluster cluster() {
        return cluster;
    }

    private static Discovery discovery(StreamServerConfig.ClusterSettings c) {
        switch (c.discovery()) {
            case "static" -> {
                List<MemberEndpoint> members = new ArrayList<>();
                for (String m : c.members().orElse(List.of())) {
                    if (m.isBlank()) {
                        continue;
                    }
                    try {
                        members.add(MemberEndpoint.parse(m));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("dap.stream.cluster.members: " + e.getMessage()
                                + " (a comma-separated list of the members' cluster endpoints, host:port)", e);
                    }
                }
                return members.isEmpty() ? null : new StaticDiscovery(members);
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
            throw new IllegalArgumentException("set dap.stream.cluster.advertise-host: this machine's address is unknown (" + e.getMessage() + ")", e);
        }
    }
}
