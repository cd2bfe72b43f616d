package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.ops.DrainState;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Instant;
import java.util.Optional;

/** Readiness: DOWN once the node drains, so Kubernetes stops sending it new clients. */
@Readiness
@ApplicationScoped
public class DrainReadiness implements HealthCheck {
    static final String NAME = "not-draining";

    private final DrainState drain;

    DrainReadiness(DrainState drain) {
        this.drain = drain;
    }

    @Override
    public HealthCheckResponse call() {
        Optional<Instant> since = drain.since();
        if (since.isEmpty()) {
            return HealthCheckResponse.named(NAME).up().build();
        }
        return HealthCheckResponse.named(NAME).down()
                .withData("error", "node is draining since " + since.get() + "; it accepts no new streams")
                .withData("drainingSince", since.get().toString())
                .build();
    }
}
