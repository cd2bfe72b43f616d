package org.dapstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Named clusters across three in-process member nodes, with real clients on each node's client port. */
class NamedClusterTest {
    private static final Duration FORM = Duration.ofSeconds(15);
    private static final int MESSAGES = 2_000;

    /** One client member: what it received, checked for order and duplicates per publisher. */
    static class Receiver implements ClusterChannel.Listener {
        final Map<String, Long> lastSeq = new ConcurrentHashMap<>();
        final AtomicLong received = new AtomicLong();
        final AtomicLong balanced = new AtomicLong();
        final AtomicLong gaps = new AtomicLong();
        final List<String> problems = new CopyOnWriteArrayList<>();

        @Override
        public void message(String cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean isBalanced) {
            if (isBalanced) {
                balanced.incrementAndGet();
                return;
            }
            String key = cluster + "/" + origin + "/" + publisher;
            Long last = lastSeq.put(key, seq);
            if (last != null && seq != last + 1) {
                problems.add(key + ": seq " + seq + " after " + last);
            }
            received.incrementAndGet();
        }

        @Override
        public void gap(String cluster, long missed) {
            gaps.addAndGet(missed);
        }
    }

    private static ClusterChannel member(StreamClient client, ClusterNodes c, int node, Receiver r) throws Exception {
        Stream s = client.connect("127.0.0.1", c.clientPorts.get(node).port()).get(10, TimeUnit.SECONDS);
        return ClusterChannel.open(s, r).get(10, TimeUnit.SECONDS);
    }

    private static void formed(ClusterNodes c, String name, int members) throws InterruptedException {
        ClusterNodes.await("every node sees " + members + " members of " + name, FORM, () -> c.named.stream()
                .allMatch(n -> n.find(name) != null && n.find(name).membersCount() == members));
    }

    @Test
    void broadcastReachesEveryMemberOnEveryNodeOnceInPublisherOrder() throws Exception {
        try (ClusterNodes c = new ClusterNodes(3); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            ClusterNodes.await("formed", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            List<Receiver> receivers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Receiver r = new Receiver();
                receivers.add(r);
                member(client, c, i % 3, r).join("prices").get(10, TimeUnit.SECONDS);
            }
            formed(c, "prices", 6);
            ClusterChannel publisher = member(client, c, 0, new Receiver());
            for (int i = 0; i < MESSAGES; i++) {
                if (!publisher.publish("prices", ("m" + i).getBytes(StandardCharsets.UTF_8))) {
                    publisher.channel().whenWritable().get(10, TimeUnit.SECONDS);
                }
            }
            c.named.get(1).find("prices").publish("from the node API".getBytes(StandardCharsets.UTF_8));
            ClusterNodes.await("every member got every message", Duration.ofSeconds(20),
                    () -> receivers.stream().allMatch(r -> r.received.get() == MESSAGES + 1));
            Thread.sleep(200); // nothing more may arrive: exactly once
            for (Receiver r : receivers) {
                assertEquals(MESSAGES + 1, r.received.get());
                assertTrue(r.problems.isEmpty(), r.problems.toString());
                assertEquals(0, r.gaps.get());
            }
        }
    }

    @Test
    void balancedSendsSpreadRoundRobinOverTheMembersOfAllNodes() throws Exception {
        try (ClusterNodes c = new ClusterNodes(3); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            ClusterNodes.await("formed", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 2));
            List<Receiver> receivers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Receiver r = new Receiver();
                receivers.add(r);
                member(client, c, i, r).join("work").get(10, TimeUnit.SECONDS);
            }
            formed(c, "work", 3);
            ClusterChannel sender = member(client, c, 0, new Receiver());
            for (int i = 0; i < 300; i++) {
                sender.send("work", null, new byte[] {(byte) i});
            }
            ClusterNodes.await("all 300 delivered", Duration.ofSeconds(10),
                    () -> receivers.stream().mapToLong(r -> r.balanced.get()).sum() == 300);
            for (Receiver r : receivers) {
                assertEquals(100, r.balanced.get(), "round robin gives each of 3 members a third");
                assertEquals(0, r.received.get(), "a balanced message is not a broadcast");
            }
        }
    }

    @Test
    void aMemberThatStopsReadingGetsAGapAndTheOthersGetEverything() throws Exception {
        try (ClusterNodes c = new ClusterNodes(1); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            Receiver fast = new Receiver();
            member(client, c, 0, fast).join("feed").get(10, TimeUnit.SECONDS);
            Receiver slow = new Receiver();
            ClusterChannel slowChannel = member(client, c, 0, slow);
            slowChannel.join("feed").get(10, TimeUnit.SECONDS);
            slowChannel.channel().pause(); // reads nothing: its window fills, then the node's queue for it
            Cluster feed = c.named.get(0).find("feed");
            byte[] payload = new byte[1024];
            int sent = 0;
            // Paced at what the reading member takes: only the member that stops reading can miss anything.
            while (c.named.get(0).missedDeliveries() == 0 && sent < 50_000) {
                for (int i = 0; i < 100; i++) {
                    feed.publish(payload);
                    sent++;
                }
                int upTo = sent;
                ClusterNodes.await("the reading member keeps up", Duration.ofSeconds(10), () -> fast.received.get() == upTo);
            }
            int total = sent;
            assertTrue(c.named.get(0).missedDeliveries() > 0, "the slow member missed some after " + total + " messages");
            assertEquals(total, fast.received.get());
            assertEquals(0, fast.gaps.get(), "the reading member missed nothing");
            slowChannel.channel().resume();
            ClusterNodes.await("the slow member got the rest and a gap notice covering what it missed", Duration.ofSeconds(20),
                    () -> slow.received.get() + slow.gaps.get() == total && slow.gaps.get() > 0);
            assertEquals(c.named.get(0).missedDeliveries(), slow.gaps.get());
        }
    }

    @Test
    void hostileClusterInputGetsSpecificRefusalsAndHarmsNoOne() throws Exception {
        try (ClusterNodes c = new ClusterNodes(1); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            Receiver good = new Receiver();
            member(client, c, 0, good).join("ok").get(10, TimeUnit.SECONDS);
            ClusterChannel hostile = member(client, c, 0, new Receiver());
            byte[] huge = new byte[10 * 1024 * 1024];
            huge[0] = 0x01; // a JOIN of 10 MB: its name length and the bytes after it cannot fit the layout
            hostile.channel().write(PacketType.DATA, huge);
            CloseReason ended = hostile.channel().closed().get(10, TimeUnit.SECONDS);
            assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, ended.errorCode(), ended.toString());
            assertTrue(hostile.channel().stream().active(), "the stream goes on: only the channel ended");

            ClusterChannel forger = member(client, c, 0, new Receiver());
            forger.channel().write(PacketType.DATA, new byte[] {(byte) 0x84, 1, 2}); // a node's kind, from a client
            assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, forger.channel().closed().get(10, TimeUnit.SECONDS).errorCode());

            ClusterChannel stray = member(client, c, 0, new Receiver());
            ExecutionException leave = assertThrows(ExecutionException.class, () -> stray.leave("never-joined").get(10, TimeUnit.SECONDS));
            assertInstanceOf(ClusterChannel.RefusedException.class, leave.getCause());
            assertEquals(ErrorCode.NOT_A_MEMBER.code(), ((ClusterChannel.RefusedException) leave.getCause()).code());
            assertTrue(stray.channel().active(), "a refusal keeps the channel");

            Stream plain = client.connect("127.0.0.1", c.clientPorts.get(0).port()).get(10, TimeUnit.SECONDS);
            ExecutionException link = assertThrows(ExecutionException.class,
                    () -> plain.openChannel(ChannelType.LINK, new ChannelHandler() { }).get(10, TimeUnit.SECONDS));
            assertTrue(link.getCause().getMessage().contains("LINK_REFUSED") || link.getCause().getMessage().contains("0x002d"),
                    link.getCause().toString());

            c.named.get(0).find("ok").publish(new byte[] {1});
            ClusterNodes.await("the good member still gets its messages", Duration.ofSeconds(10), () -> good.received.get() == 1);
        }
    }

    @Test
    void anAllowListAdmitsOnlyTheNodesItNames() throws Exception {
        NodeIdentity listed = NodeIdentity.generate(SignatureAlgorithm.ED25519, ClusterNodes.RANDOM);
        NodeIdentity other = NodeIdentity.generate(SignatureAlgorithm.ED25519, ClusterNodes.RANDOM);
        try (ClusterNodes c = new ClusterNodes(2);
             StreamClient listedClient = new StreamClient(ClientOptions.defaults().withIdentity(listed));
             StreamClient otherClient = new StreamClient(ClientOptions.defaults().withIdentity(other));
             StreamClient anonymous = new StreamClient(ClientOptions.defaults())) {
            c.clusterSettings = new Clusters.Settings(Balancer.parse("round-robin"), Clusters.Settings.DEFAULT_MAX_CLUSTERS,
                    Map.of("board", Set.of(listed.address())));
            c.clientPolicy = AuthPolicy.allowList(Set.of(listed.address(), other.address())); // node 0 asks clients to authenticate
            c.start(0);
            c.clientPolicy = AuthPolicy.open(); // node 1 does not: its clients' addresses are unproven claims
            c.start(1);
            Receiver member = new Receiver();
            assertEquals(1, member(listedClient, c, 0, member).join("board").get(10, TimeUnit.SECONDS).members());

            List<String> refusals = new CopyOnWriteArrayList<>();
            Receiver outsider = new Receiver() {
                @Override
                public void refused(int code, String reason) {
                    refusals.add(ErrorCode.fromCode(code) + ": " + reason);
                }
            };
            ClusterChannel unlisted = member(otherClient, c, 0, outsider);
            ExecutionException join = assertThrows(ExecutionException.class, () -> unlisted.join("board").get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.CLUSTER_REFUSED.code(), ((ClusterChannel.RefusedException) join.getCause()).code());
            unlisted.publish("board", new byte[] {1});
            ClusterNodes.await("the publish is refused too", Duration.ofSeconds(10), () -> refusals.size() == 1);
            assertTrue(refusals.get(0).startsWith("CLUSTER_REFUSED: node " + other.address()), refusals.toString());
            assertEquals(0, member.received.get(), "nothing of the unlisted publisher was delivered");
            assertEquals(1, c.named.get(0).find("board").membersCount(), "and it did not become a member");

            ClusterChannel unproven = member(anonymous, c, 1, new Receiver());
            ExecutionException claim = assertThrows(ExecutionException.class, () -> unproven.join("board").get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.CLUSTER_REFUSED.code(), ((ClusterChannel.RefusedException) claim.getCause()).code());
            assertTrue(claim.getCause().getMessage().contains("did not authenticate"), claim.getCause().getMessage());
        }
    }
}
