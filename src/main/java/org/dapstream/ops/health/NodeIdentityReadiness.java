package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.NodeAddress;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: the node's identity is loaded: its signing key read from (or created in)
 * {@code dap.stream.security.identity.file}, and not yet wiped by shutdown. With security
 * disabled the node has only an address, which is reported as such.
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
        NodeIdentity identity = endpoint.identity();
        if (identity == null) {
            return HealthCheckResponse.named(NAME).up().withData("node", node.toString())
                    .withData("security", "disabled: plaintext address only").build();
        }
        if (identity.isClosed()) {
            return HealthCheckResponse.named(NAME).down().withData("node", node.toString())
                    .withData("error", "the identity key was wiped (node shutting down)").build();
        }
        return HealthCheckResponse.named(NAME).up().withData("node", node.toString())
                .withData("algorithm", identity.algorithm().configName()).build();
    }
}
