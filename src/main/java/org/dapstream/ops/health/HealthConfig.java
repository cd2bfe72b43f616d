package org.dapstream.ops.health;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Health-check settings, prefix {@code dap.stream.health}; defaults as in docs/OPERATIONS.md. */
@ConfigMapping(prefix = "dap.stream.health")
public interface HealthConfig {
    /**
     * Liveness goes DOWN when an event loop has not run a posted heartbeat for this long.
     * Well above Vert.x's own 2 s blocked-thread warning, so a slow GC pause or one long
     * task is logged but does not get the pod restarted.
     */
    @WithDefault("5s")
    Duration eventLoopBlockedThreshold();

    /** How often a heartbeat task is posted to every event loop (also the detection granularity). */
    @WithDefault("1s")
    Duration eventLoopHeartbeat();
}
