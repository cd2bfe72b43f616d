package org.dapstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

class NodeClusterTest {
    private static final Duration FORM = Duration.ofSeconds(15);

    @Test
    void threeMembersFormOneLinkPerPairDialledByTheLowerAddress() throws Exception {
        try (ClusterNodes c = new ClusterNodes(3)) {
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            ClusterNodes.await("every node has links to the two others", FORM,
                    () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            for (NodeCluster n : c.nodes) {
                for (Link l : n.links().all()) {
                    NodeAddress dialer = l.direction() == Link.Direction.DIALED ? n.self() : l.peer();
                    NodeAddress other = dialer.equals(n.self()) ? l.peer() : n.self();
                    assertTrue(Long.compareUnsigned(dialer.value(), other.value()) < 0, "the lower address dialled " + l);
                }
                List<MemberView> members = n.members();
                assertEquals(3, members.size());
                assertEquals(1, members.stream().filter(m -> m.link() == LinkState.SELF).count(), members.toString());
                assertEquals(2, members.stream().filter(m -> m.link() == LinkState.UP).count(), members.toString());
                assertTrue(members.stream().allMatch(m -> m.node() != null), "every member's address is proven: " + members);
            }
        }
    }

    @Test
    void aStoppedMemberIsGoneFromTheOthersAndRejoinsWhenItComesBack() throws Exception {
        try (ClusterNodes c = new ClusterNodes(3)) {
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            ClusterNodes.await("formed", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            NodeCluster gone = c.nodes.remove(2);
            NodeAddress goneAddress = gone.self();
            gone.close();
            ClusterNodes.await("the others drop its link", Duration.ofSeconds(5),
                    () -> c.nodes.stream().allMatch(n -> n.links().to(goneAddress) == null));
            for (NodeCluster n : c.nodes) {
                MemberView m = n.members().stream().filter(v -> v.endpoint().equals(c.endpoints.get(2))).findFirst().orElseThrow();
                assertTrue(m.link() != LinkState.UP, "its member row no longer shows a link: " + m);
            }
            NodeCluster back = c.start(2);
            ClusterNodes.await("it rejoins", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            assertEquals(2, back.links().size());
        }
    }

    @Test
    void aGracefulLeaveIsSeenAsDrainingAtOnceAndGoneWhenTheNodeStops() throws Exception {
        try (ClusterNodes c = new ClusterNodes(3)) {
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            ClusterNodes.await("formed", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            NodeCluster leaving = c.nodes.get(2);
            List<NodeCluster> others = List.copyOf(c.nodes.subList(0, 2));
            ClusterNodes.await("every peer heard its state", FORM, () -> others.stream().allMatch(n -> n.peer(leaving.self()) != null));
            long start = System.nanoTime();
            c.draining.get(2).set(true);
            leaving.tellLinks(); // what a drain does at its start
            ClusterNodes.await("the others see it draining", Duration.ofSeconds(5), () -> others.stream()
                    .allMatch(n -> n.peer(leaving.self()) != null && n.peer(leaving.self()).state() == LinkMessage.NodeState.DRAINING));
            long drainingSeen = System.nanoTime() - start;
            String otherClients = others.get(0).peer(others.get(1).self()).endpoint();
            assertEquals(otherClients, others.get(0).alternate(), "GOAWAY's alternate is the ready member, never the draining one");
            start = System.nanoTime();
            c.nodes.remove(2);
            leaving.close();
            ClusterNodes.await("its links are gone from the others", Duration.ofSeconds(5),
                    () -> others.stream().allMatch(n -> n.links().to(leaving.self()) == null));
            long goneSeen = System.nanoTime() - start;
            System.out.printf("graceful leave: DRAINING seen by every other member after %.1f ms, links gone %.1f ms after stop%n",
                    drainingSeen / 1e6, goneSeen / 1e6);
        }
    }

    @Test
    void aNodeWithoutTheClusterEndorsementGetsNoLink() throws Exception {
        try (ClusterNodes c = new ClusterNodes(2)) {
            NodeCluster member = c.start(0);
            NodeCluster stranger = c.start(1, NodeIdentity.generate(SignatureAlgorithm.ED25519, ClusterNodes.RANDOM), false);
            ClusterNodes.await("the stranger's dial was refused", FORM, () -> stranger.members().stream()
                    .anyMatch(m -> m.problem() != null && m.problem().contains("AUTH_REFUSED"))
                    || member.members().stream().anyMatch(m -> m.problem() != null && m.problem().contains("AUTH_REFUSED")));
            assertEquals(0, member.links().size());
            assertEquals(0, stranger.links().size());
            MemberView seen = member.members().stream().filter(m -> m.link() != LinkState.SELF).findFirst().orElseThrow();
            assertNull(member.links().to(stranger.self()), "no link to the stranger: " + seen);
        }
    }
}
