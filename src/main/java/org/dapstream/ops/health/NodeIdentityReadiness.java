package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.NodeAddress;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: the node's identity is loaded. Until node identities exist (issue 3) the
 * identity is the node address the endpoint runs with; this check is where the real
 * identity (keys loaded and valid) plugs in.
 */
@Readiness
@ApplicationScoped
public class NodeIdentityReadiness implements HealthCheck {
    static final String NAME = "node-identity";

    private final StreamEndpoint endpoint;

    NodeIdentityReadiness(StreamEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public HealthCheckResponse call() {
        NodeAddress node = endpoint.node();
        if (node == null) {
            return HealthCheckResponse.named(NAME).down().withData("error", "node identity not loaded yet").build();
        }
        return HealthCheckResponse.named(NAME).up().withData("node", node.toString()).build();
    }
}
