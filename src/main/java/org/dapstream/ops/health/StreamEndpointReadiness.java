package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.transport.StreamServer;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: the stream endpoint is bound and accepting. It does not connect to itself to
 * prove it: such a probe stream would show in the stream metrics and the admin API.
 */
@Readiness
@ApplicationScoped
public class StreamEndpointReadiness implements HealthCheck {
    static final String NAME = "stream-endpoint";

    private final StreamEndpoint endpoint;

    StreamEndpointReadiness(StreamEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public HealthCheckResponse call() {
        StreamServer server = endpoint.server();
        if (server == null) {
            return HealthCheckResponse.named(NAME).down()
                    .withData("error", endpoint.enabled()
                            ? "stream endpoint not started yet"
                            : "stream endpoint disabled (dap.stream.tcp.enabled=false): this node serves no streams")
                    .build();
        }
        if (server.port() <= 0) {
            return HealthCheckResponse.named(NAME).down().withData("error", "stream endpoint not bound").build();
        }
        return HealthCheckResponse.named(NAME).up().withData("port", server.port()).build();
    }
}
