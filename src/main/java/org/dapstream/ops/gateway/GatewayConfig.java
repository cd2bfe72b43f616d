package org.dapstream.ops.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The REST gateway on the HTTP port ({@code dap.stream.gateway.*}; docs/OPERATIONS.md, "REST gateway"). */
@ConfigMapping(prefix = "dap.stream.gateway")
public interface GatewayConfig {
    /** Bearer token every gateway request must carry; absent or blank: the gateway answers 403 to everything. */
    Optional<String> token();

    /** Largest message body a publish or send takes; larger is 413. At most the named clusters' message limit. */
    @WithDefault("65536")
    int maxMessageBytes();

    /** Event-stream subscribers at once on this node; one more is 503. */
    @WithDefault("1000")
    int maxSubscribers();

    /** A comment line on every event stream this often, so idle proxies and load balancers keep it open. */
    @WithDefault("15s")
    Duration keepaliveInterval();

    /** Bytes an event stream may have queued for a subscriber that reads slowly; past it, messages are missed and counted. */
    @WithDefault("1048576")
    int subscriberBuffer();
}
