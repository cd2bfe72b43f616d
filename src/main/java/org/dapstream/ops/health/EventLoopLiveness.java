package org.dapstream.ops.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import java.util.List;

/**
 * Liveness: DOWN while an event loop has left its heartbeat waiting longer than
 * {@code dap.stream.health.event-loop-blocked-threshold}. A blocked loop stalls every
 * stream on it and does not recover by itself often enough to wait for; a restart does.
 */
@Liveness
@ApplicationScoped
public class EventLoopLiveness implements HealthCheck {
    static final String NAME = "event-loops";

    private final EventLoopHeartbeat heartbeat;
    private final HealthConfig config;

    EventLoopLiveness(EventLoopHeartbeat heartbeat, HealthConfig config) {
        this.heartbeat = heartbeat;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        List<EventLoopHeartbeat.Stall> stalls = heartbeat.stalledLongerThan(config.eventLoopBlockedThreshold());
        HealthCheckResponseBuilder r = HealthCheckResponse.named(NAME)
                .withData("loops", heartbeat.loops())
                .withData("thresholdMillis", config.eventLoopBlockedThreshold().toMillis());
        if (stalls.isEmpty()) {
            return r.up().build();
        }
        EventLoopHeartbeat.Stall worst = stalls.get(0);
        return r.down()
                .withData("error", stalls.size() + " event loop(s) blocked; " + worst.loop() + " has not run a task for "
                        + worst.waited().toMillis() + " ms (threshold " + config.eventLoopBlockedThreshold().toMillis() + " ms)")
                .withData("blocked", String.join(", ", stalls.stream().map(s -> s.loop() + " " + s.waited().toMillis() + " ms").toList()))
                .build();
    }
}
