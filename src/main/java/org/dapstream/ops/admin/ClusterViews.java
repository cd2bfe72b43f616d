package org.dapstream.ops.admin;

import org.dapstream.cluster.Cluster;
import org.dapstream.cluster.Clusters;
import org.dapstream.cluster.DiscoveryStatus;
import org.dapstream.cluster.Link;
import org.dapstream.cluster.MemberView;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.ops.ClusterEndpoint;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;

import java.util.Comparator;
import java.util.List;

/** What GET /admin/cluster shows: discovery, the member table, links, named clusters and delivery counters. */
final class ClusterViews {
    /** Discovery mode shown for a node with no other members. */
    static final String ALONE = "alone";

    private ClusterViews() {
    }

    record DiscoveryView(String mode, boolean synced, String problem, String fix, long watchRestarts) {
    }

    /**
     * @param peerState what the member said of itself over its link (READY, DRAINING), null without a link
     * @param clients   where its clients connect, as it told, null without a link
     * @param sessions  its sessions, as it last told, null without a link
     */
    record MemberRow(String endpoint, String name, String state, String node, String link, String problem, String since,
                     long attempts, String peerState, String clients, Long sessions) {
    }

    record LinkRow(String peer, String direction, String remote, String upSince) {
    }

    record NamedCluster(String name, String id, int members, int localMembers, String balancer) {
    }

    record View(String node, DiscoveryView discovery, int port, String advertised, List<MemberRow> members, List<LinkRow> links,
                List<NamedCluster> clusters, long deliveries, long forwards, long gapNotices, long missed, long undeliverable) {
    }

    static View of(NodeAddress node, ClusterEndpoint endpoint) {
        NodeCluster c = endpoint.cluster();
        Clusters named = endpoint.clusters();
        List<NamedCluster> clusters = named == null ? List.of() : named.all().stream()
                .sorted(Comparator.comparing(Cluster::name))
                .map(k -> new NamedCluster(k.name(), k.id().toString(), k.membersCount(), k.localMembersCount(), k.balancer().configName()))
                .toList();
        long deliveries = named == null ? 0 : named.deliveries();
        long forwards = named == null ? 0 : named.forwards();
        long gaps = named == null ? 0 : named.gapNotices();
        long missed = named == null ? 0 : named.missedDeliveries();
        long undeliverable = named == null ? 0 : named.undeliverable();
        String self = node == null ? null : node.toString();
        if (c == null) {
            return new View(self, new DiscoveryView(ALONE, true, null, null, 0), 0, null, List.of(), List.of(), clusters,
                    deliveries, forwards, gaps, missed, undeliverable);
        }
        DiscoveryStatus s = c.discoveryStatus();
        List<MemberRow> members = c.members().stream().map(m -> row(c, m)).toList();
        List<LinkRow> links = c.links().all().stream().sorted(Comparator.comparing(l -> l.peer().toString()))
                .map(ClusterViews::link).toList();
        return new View(self, new DiscoveryView(c.discovery().mode(), s.synced(), s.problem(), s.fix(), s.watchRestarts()), c.port(),
                c.advertised().toString(), members, links, clusters, deliveries, forwards, gaps, missed, undeliverable);
    }

    private static MemberRow row(NodeCluster c, MemberView m) {
        LinkMessage.Node told = m.node() == null ? null : c.peer(m.node());
        return new MemberRow(m.endpoint().toString(), m.name(), m.state().name(), m.node() == null ? null : m.node().toString(),
                m.link().name(), m.problem(), m.since().toString(), m.attempts(), told == null ? null : told.state().name(),
                told == null || told.endpoint().isEmpty() ? null : told.endpoint(), told == null ? null : told.sessions());
    }

    private static LinkRow link(Link l) {
        return new LinkRow(l.peer().toString(), l.direction().name(), l.stream().remoteAddress(), l.upSince().toString());
    }
}
