package org.dapstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Attacks on named clusters, each answered: a client that reads nothing is not read either and
 * gets no unbounded queue; a publish too large for a member's channel is refused up front; a
 * peer cannot forge a message's origin; many members of one stream share its output budget; a
 * publisher's sequence map does not grow with cluster churn.
 */
class ClusterAttackTest {
    private static final Duration FORM = Duration.ofSeconds(15);
    /** How long an attacker is given to push before the test looks at what the node holds. */
    private static final Duration PUSH = Duration.ofSeconds(5);

    private static ClusterChannel member(StreamClient client, ClusterNodes c, int node, ClusterChannel.Listener l) throws Exception {
        Stream s = client.connect("127.0.0.1", c.clientPorts.get(node).port()).get(10, TimeUnit.SECONDS);
        return ClusterChannel.open(s, l).get(10, TimeUnit.SECONDS);
    }

    private static String name(char fill, int i) {
        String n = i + "-";
        return n + String.valueOf(fill).repeat(255 - n.length());
    }

    private static long nodeQueued(ClusterNodes c, int node) {
        long max = 0;
        for (Stream s : c.clientPorts.get(node).streams()) {
            max = Math.max(max, s.queuedOutputBytes());
        }
        return max;
    }

    /** Writes {@code message} until the node stops taking them (its window is not given back) or {@link #PUSH} passes. */
    private static int pushUntilHeld(Channel channel, byte[] message) throws Exception {
        long deadline = System.nanoTime() + PUSH.toNanos();
        int sent = 0;
        while (System.nanoTime() < deadline) {
            if (!channel.write(PacketType.DATA, message)) {
                try {
                    channel.whenWritable().get(PUSH.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException held) {
                    return sent;
                }
            }
            sent++;
        }
        return sent;
    }

    /** SENDs to a cluster that does not exist from a client that reads nothing: the node stops reading it, its answers stay bounded. */
    @Test
    void aClientThatReadsNoAnswersIsNotReadEither() throws Exception {
        try (ClusterNodes c = new ClusterNodes(1); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            ClusterChannel attacker = member(client, c, 0, new NamedClusterTest.Receiver());
            attacker.channel().pause(); // reads nothing: grants no credit for the node's answers
            byte[] send = ClusterCodec.encode(new ClusterMessage.Send(name('x', 0), new byte[0], ByteBuffer.allocate(0)));
            int sent = pushUntilHeld(attacker.channel(), send);
            long queued = nodeQueued(c, 0);
            System.out.println("REFUSED flood: " + sent + " SENDs accepted, node holds " + queued + " B for the client");
            assertTrue(queued <= 2L * StreamConfig.DEFAULT_OUTPUT_BUDGET, "node holds " + queued + " bytes for a client that reads nothing");
        }
    }

    /**
     * Balanced SENDs to a member behind a link its peer does not credit: the sender is held, the
     * link queue bounded, and past the stall timeout the link is failed (OUTPUT_STALLED) and dialled again.
     */
    @Test
    void aStalledLinkHoldsTheSenderInsteadOfQueuingThenFails() throws Exception {
        try (ClusterNodes c = new ClusterNodes(2); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.stallTimeout = Duration.ofSeconds(2);
            c.start(0);
            c.start(1);
            ClusterNodes.await("linked", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 1));
            member(client, c, 1, new NamedClusterTest.Receiver()).join("work").get(10, TimeUnit.SECONDS);
            ClusterNodes.await("node 0 sees the member", FORM, () -> c.named.get(0).find("work") != null
                    && c.named.get(0).find("work").membersCount() == 1);
            c.nodes.get(1).links().to(c.nodes.get(0).self()).channel().pause(); // node 1 stops crediting node 0's link
            Link toPeer = c.nodes.get(0).links().to(c.nodes.get(1).self());
            ClusterChannel sender = member(client, c, 0, new NamedClusterTest.Receiver());
            byte[] send = ClusterCodec.encode(new ClusterMessage.Send("work", new byte[0], ByteBuffer.allocate(1024)));
            int sent = pushUntilHeld(sender.channel(), send);
            long queued = toPeer.channel().queuedBytes();
            System.out.println("DELIVER over a stalled link: " + sent + " sends accepted, link queue " + queued + " B");
            assertTrue(queued <= 16L * 1024 * 1024, "link queue " + queued + " bytes");
            ClusterNodes.await("the stalled link is failed", Duration.ofSeconds(15), () -> !toPeer.up());
            assertEquals(ErrorCode.OUTPUT_STALLED, toPeer.channel().closed().get(10, TimeUnit.SECONDS).errorCode());
            ClusterNodes.await("and linked again", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 1
                    && n.links().all().iterator().next() != toPeer));
        }
    }

    /** An endorsed peer's FORWARD naming another origin fails the link, and nothing forged is delivered. */
    @Test
    void aForwardWithAForgedOriginFailsTheLink() throws Exception {
        try (ClusterNodes c = new ClusterNodes(2); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            c.start(1);
            ClusterNodes.await("linked", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 1));
            List<String> got = new CopyOnWriteArrayList<>();
            member(client, c, 0, (cl, origin, publisher, seq, payload, balanced) -> got.add(origin + "/" + publisher + "/" + seq))
                    .join("prices").get(10, TimeUnit.SECONDS);
            ClusterNodes.await("node 1 sees the member", FORM, () -> c.named.get(1).find("prices") != null);
            long downBefore = c.nodes.get(0).links().downCount();
            NodeAddress forged = new NodeAddress(0x1234_5678_9abc_def0L);
            c.nodes.get(1).links().to(c.nodes.get(0).self())
                    .send(LinkCodec.encodeForward(ClusterCodec.nameBytes("prices"), forged.value(), 7, 1, ByteBuffer.allocate(1)));
            ClusterNodes.await("the link failed", Duration.ofSeconds(10), () -> c.nodes.get(0).links().downCount() > downBefore);
            assertEquals(List.of(), got, "nothing with a forged origin was delivered");
        }
    }

    /** A publish too large for a member's channel with its MESSAGE header is refused up front: the link and the members go on. */
    @Test
    void anOversizedPublishIsRefusedAndHarmsNoLink() throws Exception {
        try (ClusterNodes c = new ClusterNodes(2); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            c.start(1);
            ClusterNodes.await("linked", FORM, () -> c.nodes.stream().allMatch(n -> n.links().size() == 1));
            NamedClusterTest.Receiver r = new NamedClusterTest.Receiver();
            member(client, c, 1, r).join("x").get(10, TimeUnit.SECONDS);
            ClusterNodes.await("node 0 sees the member", FORM, () -> c.named.get(0).find("x") != null);
            long downBefore = c.nodes.get(1).links().downCount();
            List<String> refusals = new CopyOnWriteArrayList<>();
            NamedClusterTest.Receiver publisherListener = new NamedClusterTest.Receiver() {
                @Override
                public void refused(int code, String reason) {
                    refusals.add(ErrorCode.fromCode(code) + ": " + reason);
                }
            };
            ClusterChannel publisher = member(client, c, 0, publisherListener);
            publisher.publish("x", new byte[FlowConfig.DEFAULT_MAX_MESSAGE_SIZE - 24]);
            ClusterNodes.await("refused", Duration.ofSeconds(20), () -> refusals.size() == 1);
            assertTrue(refusals.get(0).startsWith("MESSAGE_TOO_LARGE"), refusals.toString());
            publisher.publish("x", new byte[] {1});
            ClusterNodes.await("the next one arrives", Duration.ofSeconds(10), () -> r.received.get() == 1);
            assertEquals(downBefore, c.nodes.get(1).links().downCount(), "the link stayed up");
        }
    }

    /** JOIN, PUBLISH, LEAVE on one name, over and over: the publisher's sequence map stays small. */
    @Test
    void aPublishersSequenceMapDoesNotGrowWithClusterChurn() throws Exception {
        try (ClusterNodes c = new ClusterNodes(1); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            ClusterChannel publisher = member(client, c, 0, new NamedClusterTest.Receiver());
            ClusterChannel joiner = member(client, c, 0, new NamedClusterTest.Receiver());
            int rounds = 500;
            for (int i = 0; i < rounds; i++) {
                joiner.join("churn").get(10, TimeUnit.SECONDS);
                publisher.publish("churn", new byte[1]);
                joiner.leave("churn").get(10, TimeUnit.SECONDS);
            }
            Thread.sleep(200);
            int largest = 0;
            for (Stream s : c.clientPorts.get(0).streams()) {
                for (Channel ch : s.channels()) {
                    if (ch.attachment() instanceof MemberChannel m) {
                        Field f = MemberChannel.class.getDeclaredField("seqs");
                        f.setAccessible(true);
                        largest = Math.max(largest, ((Map<?, ?>) f.get(m)).size());
                    }
                }
            }
            assertTrue(largest <= MemberChannel.SEQ_SWEEP_AT + 1, "entries " + largest + " after " + rounds + " rounds");
        }
    }

    /** Many non-reading members on one stream and one large publish: what the node queues stays near the stream's budget. */
    @Test
    void oneStreamsMembersShareItsOutputBudget() throws Exception {
        try (ClusterNodes c = new ClusterNodes(1); StreamClient client = new StreamClient(ClientOptions.defaults())) {
            c.start(0);
            Stream s = client.connect("127.0.0.1", c.clientPorts.get(0).port()).get(10, TimeUnit.SECONDS);
            int members = 32;
            for (int i = 0; i < members; i++) {
                ClusterChannel m = ClusterChannel.open(s, new NamedClusterTest.Receiver()).get(10, TimeUnit.SECONDS);
                m.join("big").get(10, TimeUnit.SECONDS);
                m.channel().pause(); // grants no credit
            }
            ClusterChannel publisher = ClusterChannel.open(s, new NamedClusterTest.Receiver()).get(10, TimeUnit.SECONDS);
            int size = 4 * 1024 * 1024;
            publisher.publish("big", new byte[size]);
            ClusterNodes.await("the node fanned it out", Duration.ofSeconds(20), () -> c.named.get(0).deliveries()
                    + c.named.get(0).missedDeliveries() == members);
            long queued = nodeQueued(c, 0);
            assertTrue(queued <= 2L * StreamConfig.DEFAULT_OUTPUT_BUDGET + size, "node queued " + queued + " B for one stream");
            assertTrue(c.named.get(0).missedDeliveries() > 0, "the members that did not fit missed it, counted");
        }
    }
}
