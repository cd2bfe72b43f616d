package org.dapstream.ops.admin;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

/** Admin API settings, prefix {@code dap.stream.admin}. */
@ConfigMapping(prefix = "dap.stream.admin")
public interface AdminConfig {
    /**
     * The bearer token the admin API requires. No default: without one the admin API answers
     * every request with 403, so a node is never left open by forgetting to set it. Never logged.
     */
    Optional<String> token();
}
