package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.ops.StreamEndpoint;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * Startup: the application has finished starting the stream endpoint (bound, or disabled by
 * configuration). The HTTP and management servers answer before that, so without this
 * check a slow start could be taken for a dead process.
 */
@Startup
@ApplicationScoped
public class StreamEndpointStartup implements HealthCheck {
    static final String NAME = "stream-endpoint-started";

    private final StreamEndpoint endpoint;

    StreamEndpointStartup(StreamEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public HealthCheckResponse call() {
        if (!endpoint.started()) {
            return HealthCheckResponse.named(NAME).down().withData("error", "stream endpoint still starting").build();
        }
        return HealthCheckResponse.named(NAME).up().build();
    }
}
