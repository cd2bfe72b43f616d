package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.cluster.DiscoveryStatus;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.ops.ClusterEndpoint;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: discovery knows the member set. A node whose discovery fails (Kubernetes API
 * forbidden or unreachable) is not ready, with the reason and the fix, instead of serving as
 * a silent cluster of one. Links are shown but do not decide readiness: a member whose peers
 * all crashed must stay ready to serve its clients.
 */
@Readiness
@ApplicationScoped
public class ClusterReadiness implements HealthCheck {
    static final String NAME = "cluster";

    private final ClusterEndpoint endpoint;

    ClusterReadiness(ClusterEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public HealthCheckResponse call() {
        NodeCluster c = endpoint.cluster();
        if (c == null) {
            return HealthCheckResponse.named(NAME).up().withData("discovery", "alone").build();
        }
        DiscoveryStatus s = c.discoveryStatus();
        HealthCheckResponseBuilder b = HealthCheckResponse.named(NAME).status(s.healthy())
                .withData("discovery", c.discovery().mode())
                .withData("members", c.members().size())
                .withData("links", c.links().size());
        if (!s.synced()) {
            b.withData("synced", false);
        }
        if (s.problem() != null) {
            b.withData("error", s.problem());
        }
        if (s.fix() != null) {
            b.withData("fix", s.fix());
        }
        return b.build();
    }
}
