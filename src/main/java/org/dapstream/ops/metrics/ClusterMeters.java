package org.dapstream.ops.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;
import org.dapstream.cluster.Clusters;
import org.dapstream.cluster.LinkState;
import org.dapstream.cluster.MemberState;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.ops.ClusterEndpoint;

import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The node cluster's meters (docs/ADMIN.md): members by state, links, discovery health and
 * the named clusters' delivery counters. Read at scrape time; a node running alone reports
 * zeros (and discovery synced).
 */
@Singleton
public class ClusterMeters implements MeterBinder {
    private final ClusterEndpoint endpoint;

    ClusterMeters(ClusterEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (MemberState state : MemberState.values()) {
            Gauge.builder("dap.stream.cluster.members", endpoint, e -> members(e, state))
                    .description("Member nodes discovery lists, this node included, by state")
                    .tag("state", state.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        gauge(registry, "dap.stream.cluster.links.up", "Links up to other member nodes", c -> c.links().size());
        counter(registry, "dap.stream.cluster.links.opened", "Links that came up since start", c -> c.links().upCount());
        counter(registry, "dap.stream.cluster.links.closed", "Links that went down since start", c -> c.links().downCount());
        Gauge.builder("dap.stream.cluster.discovery.synced", endpoint,
                        e -> e.cluster() == null || e.cluster().discoveryStatus().healthy() ? 1 : 0)
                .description("1 when discovery knows the member set and reports no problem").register(registry);
        counter(registry, "dap.stream.cluster.discovery.watch.restarts", "Times the Kubernetes watch had to start again",
                c -> c.discoveryStatus().watchRestarts());
        named(registry, "dap.stream.cluster.deliveries", "Cluster messages delivered to members this node holds", Clusters::deliveries);
        named(registry, "dap.stream.cluster.forwards", "Cluster messages sent to other nodes (once per interested node per broadcast)",
                Clusters::forwards);
        named(registry, "dap.stream.cluster.gap.notices", "GAP notices sent to members that read too slowly", Clusters::gapNotices);
        named(registry, "dap.stream.cluster.missed", "Cluster messages slow members missed (each reported in a GAP)",
                Clusters::missedDeliveries);
        named(registry, "dap.stream.cluster.undeliverable", "Balanced messages that found no member", Clusters::undeliverable);
        FunctionCounter.builder("dap.stream.cluster.rebalance.moves", endpoint, e -> e.rebalancer() == null ? 0 : e.rebalancer().moved())
                .description("Sessions this node sent to members with fewer sessions (each then handed over)").register(registry);
        Gauge.builder("dap.stream.cluster.named", endpoint, e -> e.clusters() == null ? 0 : e.clusters().all().size())
                .description("Named clusters this node knows").register(registry);
    }

    private static double members(ClusterEndpoint e, MemberState state) {
        NodeCluster c = e.cluster();
        if (c == null) {
            return state == MemberState.READY ? 1 : 0; // alone: this node
        }
        return c.members().stream().filter(m -> m.state() == state && m.link() != LinkState.STOPPED).count();
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<NodeCluster> value) {
        Gauge.builder(name, endpoint, e -> e.cluster() == null ? 0 : value.applyAsDouble(e.cluster()))
                .description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToLongFunction<NodeCluster> value) {
        FunctionCounter.builder(name, endpoint, e -> e.cluster() == null ? 0 : value.applyAsLong(e.cluster()))
                .description(description).register(registry);
    }

    private void named(MeterRegistry registry, String name, String description, ToLongFunction<Clusters> value) {
        FunctionCounter.builder(name, endpoint, e -> e.clusters() == null ? 0 : value.applyAsLong(e.clusters()))
                .description(description).register(registry);
    }
}
