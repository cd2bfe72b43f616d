package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.Endorsement;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Three member nodes as real processes of the packaged application (static discovery on
 * 127.0.0.1, {@link ClusterProcesses}), with {@link ClusterChannel} clients on each: the
 * cluster forms, broadcast reaches every member once in per-publisher order, balanced delivery
 * spreads round robin, a paused member slows no one, hostile dials and forged links harm no
 * one, and a node killed with SIGKILL is dropped within the keepalive timeout + 1 s (on loopback
 * its closed sockets tell sooner; ClusterFormingMeasurement times a frozen member, which only the
 * keepalive finds) and rejoins when it restarts. The nodes start once for the class (three JVMs are heavy on a small machine) and
 * the tests run in order; the kill comes last.
 *
 * <p>Run only this class (it needs the packaged jar; failsafe runs it in {@code verify}):
 * <pre>
 * ./mvnw -B -ntp -o verify -Dit.test=ClusterProcessIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dtest=NONE} with {@code failIfNoSpecifiedTests=false} skips the unit tests.) With the jar
 * already packaged from the current sources, without packaging again:
 * <pre>
 * ./mvnw -B -ntp -o test-compile failsafe:integration-test failsafe:verify -Dit.test=ClusterProcessIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * The whole class takes about 50 s on two cores, of which about 20 s is the three JVMs starting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessIT {
    private static final int NODES = 3;
    /** Forming includes three JVMs starting at once on two cores. */
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final Duration REJOIN = Duration.ofSeconds(60);
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final Duration DELIVERY = Duration.ofSeconds(30);
    /** After everything arrived: how long to watch for anything extra (a duplicate). */
    private static final Duration QUIET = Duration.ofMillis(500);
    /** A crashed member must be gone from every view within the keepalive timeout and this margin. */
    private static final Duration CRASH_MARGIN = Duration.ofSeconds(1);
    /** How often a wait looks again (at the admin API, too: not so often that the nodes' event loops serve little else). */
    private static final Duration POLL = Duration.ofMillis(25);
    private static final int BROADCAST_MESSAGES = 2_000;
    private static final int BROADCAST_PAYLOAD = 64;
    /** Messages published and not yet received by the slowest member, at most, in the broadcast test. */
    private static final long MAX_IN_FLIGHT = 200;
    private static final int BALANCED_SENDS = 300;
    private static final int PAUSE_PAYLOAD = 4 * 1024;
    /** Messages published before waiting for the readers: 400 KiB, well inside a member's 1 MiB send buffer. */
    private static final int PAUSE_BATCH = 100;
    private static final int PAUSE_BASELINE = 2_000;
    /** Batches published after the paused member's first miss, all to be read by the others at their pace. */
    private static final int PAUSE_BATCHES_AFTER_MISS = 10;
    /** Bound of the paused-member test: it must see a miss well before this much (in messages). */
    private static final int PAUSE_MAX_MESSAGES = 20_000;
    /** Publishing rate during the kill (messages per second): steady, so that only the kill changes anything. */
    private static final int KILL_RATE = 2_000;
    private static final Duration BEFORE_KILL = Duration.ofSeconds(1);
    private static final Duration AFTER_DROP = Duration.ofSeconds(1);
    private static final long FORGED_ORIGIN = 1L;
    /**
     * The clients' own patience with a silent node: longer than the nodes' (the test JVM and three nodes share two cores,
     * and a client that gives up on a busy node would fail a test about the cluster for the machine's load).
     */
    private static final Duration CLIENT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Clients keep the nodes' keepalive: a node closes a stream silent for its keepalive timeout (1 s here, short so that a
     * crashed member is found quickly), and a client pings only after its own interval.
     */
    private static final StreamConfig CLIENT_STREAM = StreamConfig.defaults().withKeepAlive(ClusterProcesses.KEEPALIVE_INTERVAL,
            CLIENT_KEEPALIVE_TIMEOUT);

    private ClusterProcesses cluster;
    private long launched;
    private final List<StreamClient> clients = new ArrayList<>();

    @BeforeAll
    void launch() throws Exception {
        cluster = new ClusterProcesses(NODES, "cluster-it");
        launched = System.nanoTime();
        cluster.launchAll();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(StreamClient::close);
        clients.clear();
    }

    @AfterAll
    void stopNodes() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    // ------------------------------------------------------------------ a. forming

    @Test
    @Order(1)
    void threeNodesFormOneClusterWithALinkPerPair() throws Exception {
        long lastUp = 0;
        for (ClusterProcesses.Node n : cluster.nodes) {
            cluster.awaitUp(n);
            lastUp = System.nanoTime();
        }
        List<JsonObject> views = cluster.awaitFormed(n -> true, NODES, FORM);
        long formed = System.nanoTime();
        System.out.printf("cluster of %d formed %d ms after launch, %d ms after the last admin API answered%n", NODES,
                TimeUnit.NANOSECONDS.toMillis(formed - launched), TimeUnit.NANOSECONDS.toMillis(formed - lastUp));

        List<String> addresses = views.stream().map(v -> v.getString("node")).toList();
        assertEquals(NODES, Set.copyOf(addresses).size(), "each node has its own address: " + addresses);
        Set<String> endpoints = cluster.nodes.stream().map(ClusterProcesses.Node::clusterEndpoint).collect(Collectors.toSet());
        for (int i = 0; i < NODES; i++) {
            JsonObject v = views.get(i);
            String self = addresses.get(i);
            assertEquals(cluster.nodes.get(i).clusterPort, v.getInteger("port"), "the cluster port as bound");
            assertEquals("static", v.getJsonObject("discovery").getString("mode"));
            assertEquals(endpoints, members(v).stream().map(m -> m.getString("endpoint")).collect(Collectors.toSet()));
            for (JsonObject m : members(v)) {
                String node = m.getString("node");
                if ("SELF".equals(m.getString("link"))) {
                    assertEquals(self, node, "the SELF row is this node: " + v.encode());
                } else {
                    assertEquals(addresses.get(indexOf(m.getString("endpoint"))), node, "each member row names the node proven at that endpoint");
                }
            }
            for (JsonObject l : links(v)) {
                String peer = l.getString("peer");
                assertTrue(addresses.contains(peer) && !peer.equals(self), "a link to another member: " + l);
                boolean lower = Long.compareUnsigned(NodeAddress.parse(self).value(), NodeAddress.parse(peer).value()) < 0;
                assertEquals(lower ? "DIALED" : "ACCEPTED", l.getString("direction"), "the lower node address dials: " + v.encode());
            }
        }
    }

    // ------------------------------------------------------------------ b. broadcast

    @Test
    @Order(2)
    void broadcastReachesEveryMemberOnEveryNodeOnceInPublisherOrder() throws Exception {
        formed();
        StreamClient client = client();
        List<Member> receivers = new ArrayList<>();
        for (int i = 0; i < NODES * 3; i++) {
            receivers.add(join(client, i % NODES, "prices"));
        }
        clusterHas("prices", receivers.size());
        List<JsonObject> before = cluster.views(n -> true);
        ClusterChannel first = open(client, 0, new Member("publisher-0"));
        ClusterChannel second = open(client, 1, new Member("publisher-1"));
        AtomicLong published = new AtomicLong();
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> publishPaced(first, "prices", BROADCAST_MESSAGES, published, receivers));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> publishPaced(second, "prices", BROADCAST_MESSAGES, published, receivers));
        a.get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        b.get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        long total = 2L * BROADCAST_MESSAGES;
        await(() -> "every member got both publishers' " + BROADCAST_MESSAGES + " messages: " + receivers + counters(), DELIVERY,
                () -> receivers.stream().allMatch(r -> r.received.get() >= total));
        Thread.sleep(QUIET.toMillis());
        for (Member r : receivers) {
            assertEquals(total, r.received.get(), r + ": exactly once, nothing extra after");
            assertEquals(List.of(), r.problems, r + ": in per-publisher order");
            assertEquals(0, r.skipped.get(), r + ": nothing skipped");
            assertEquals(0, r.gaps.get(), r + ": no gap");
            assertEquals(2, r.firstCounter.size(), r + ": two publishers");
            assertTrue(r.firstCounter.values().stream().allMatch(c -> c == 0), r + ": from each publisher's first message on");
        }
        List<JsonObject> after = cluster.views(n -> true);
        for (int i = 0; i < NODES; i++) {
            assertEquals(3 * total, delta(before, after, i, "deliveries"), "node" + i + " fans out to its 3 members");
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(2L * BROADCAST_MESSAGES, delta(before, after, i, "forwards"), "node" + i + " sends each message once per other node");
        }
    }

    // ------------------------------------------------------------------ c. balanced

    @Test
    @Order(3)
    void balancedSendsSpreadRoundRobinOverTheMembersOfAllNodes() throws Exception {
        formed();
        StreamClient client = client();
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            members.add(join(client, i, "work"));
        }
        clusterHas("work", NODES);
        ClusterChannel sender = open(client, 0, new Member("sender"));
        List<JsonObject> before = cluster.views(n -> true);
        for (int i = 0; i < BALANCED_SENDS; i++) {
            if (!sender.send("work", null, payload(i, BROADCAST_PAYLOAD))) {
                sender.channel().whenWritable().get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
            }
        }
        await(BALANCED_SENDS + " balanced messages delivered", DELIVERY,
                () -> members.stream().mapToLong(m -> m.balanced.get()).sum() >= BALANCED_SENDS);
        Thread.sleep(QUIET.toMillis());
        for (Member m : members) {
            assertEquals(BALANCED_SENDS / NODES, m.balanced.get(), "round robin: a third each, " + members);
            assertEquals(0, m.received.get(), "a balanced message is not a broadcast");
        }
        List<JsonObject> after = cluster.views(n -> true);
        assertEquals(2L * BALANCED_SENDS / NODES, delta(before, after, 0, "forwards"), "two thirds go to the other nodes, each once");
        for (JsonObject v : after) {
            JsonObject work = clusterView(v, "work");
            assertNotNull(work, "every node knows cluster work: " + v.encode());
            assertEquals("round-robin", work.getString("balancer"), v.encode());
        }
    }

    // ------------------------------------------------------------------ d. a paused member

    @Test
    @Order(4)
    void aPausedMemberDoesNotSlowTheOthers() throws Exception {
        formed();
        StreamClient client = client();
        List<Member> readers = new ArrayList<>();
        for (int i = 0; i < NODES * 2; i++) {
            readers.add(join(client, i % NODES, "feed"));
        }
        Member paused = new Member("paused@node2");
        ClusterChannel pausedChannel = open(client, 2, paused);
        pausedChannel.join("feed").get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        clusterHas("feed", readers.size() + 1);
        ClusterChannel publisher = open(client, 0, new Member("publisher"));

        // Everyone reading: the pace they keep (the publisher waits for them after each batch: the node does not hold a
        // publisher back for its slowest member, it would report a gap to a member falling a send buffer behind).
        List<Member> everyone = new ArrayList<>(readers);
        everyone.add(paused);
        long start = System.nanoTime();
        int sent = 0;
        while (sent < PAUSE_BASELINE) {
            publish(publisher, "feed", sent, PAUSE_BATCH, PAUSE_PAYLOAD);
            sent += PAUSE_BATCH;
            awaitReaders(everyone, sent);
        }
        double baseline = sent / seconds(System.nanoTime() - start);

        // The paused member reads nothing: its window, then its node's queue for it fill up; the others go on.
        pausedChannel.channel().pause();
        long missedBefore = cluster.admin(cluster.nodes.get(2)).getLong("missed");
        long pausedStart = System.nanoTime();
        int pausedFrom = sent;
        int batchesAfterMiss = -1;
        while (batchesAfterMiss < PAUSE_BATCHES_AFTER_MISS && sent < PAUSE_MAX_MESSAGES) {
            publish(publisher, "feed", sent, PAUSE_BATCH, PAUSE_PAYLOAD);
            sent += PAUSE_BATCH;
            awaitReaders(readers, sent); // the paused member never holds them up (else this times out)
            if (batchesAfterMiss >= 0) {
                batchesAfterMiss++;
            } else if (cluster.admin(cluster.nodes.get(2)).getLong("missed") > missedBefore) {
                batchesAfterMiss = 0;
            }
        }
        double whilePaused = (sent - pausedFrom) / seconds(System.nanoTime() - pausedStart);
        System.out.printf("paused member: the %d readers took %.0f msg/s of %d B with everyone reading, %.0f msg/s while one was paused "
                + "(%d messages); the paused one had %d before it resumed%n", readers.size(), baseline, PAUSE_PAYLOAD, whilePaused,
                sent - pausedFrom, paused.received.get());
        assertTrue(batchesAfterMiss >= 0, "the paused member missed nothing after " + sent + " messages: the test proves nothing");
        assertTrue(whilePaused >= baseline / 4, "the readers' pace while one member was paused: " + whilePaused + " msg/s against "
                + baseline + " before");
        for (Member r : readers) {
            assertEquals(sent, r.received.get(), r + " got everything");
            assertEquals(0, r.gaps.get(), r + " missed nothing");
            assertEquals(List.of(), r.problems, r.toString());
        }

        // Resumed: it gets what was queued for it, a gap notice for what was not, and then the next batch, which shows where
        // the missed messages were (its sequence skips exactly as many as the notices count).
        pausedChannel.channel().resume();
        int missedUpTo = sent;
        await(() -> "the paused member got what was queued for it and gap notices for the rest: " + paused, DELIVERY,
                () -> paused.received.get() + paused.gaps.get() >= missedUpTo && paused.gaps.get() > 0);
        publish(publisher, "feed", sent, PAUSE_BATCH, PAUSE_PAYLOAD);
        sent += PAUSE_BATCH;
        int total = sent;
        awaitReaders(readers, total);
        await(() -> "the resumed member gets the next batch: " + paused, DELIVERY, () -> paused.received.get() + paused.gaps.get() >= total);
        Thread.sleep(QUIET.toMillis());
        assertEquals(total, paused.received.get() + paused.gaps.get(), paused.toString());
        assertEquals(paused.gaps.get(), paused.skipped.get(), "the gap notices count exactly the messages it did not get: " + paused);
        assertEquals(List.of(), paused.problems, paused.toString());
        JsonObject node2 = cluster.admin(cluster.nodes.get(2));
        assertEquals(paused.gaps.get(), node2.getLong("missed") - missedBefore, "node2 counts what it could not deliver: " + node2.encode());
    }

    // ------------------------------------------------------------------ f. hostile input

    @Test
    @Order(5)
    void hostileDialsAndForgedLinksGetSpecificErrorsAndTheClusterStaysIntact() throws Exception {
        formed();
        Map<String, String> upSince = upSince();
        StreamClient good = client();
        Member member = join(good, 1, "calm");
        clusterHas("calm", 1);
        ClusterProcesses.Node target = cluster.nodes.get(0);
        SecureRandom random = new SecureRandom();

        // A node identity nobody endorsed, dialling the cluster port as a member would.
        StreamClient stranger = client(ClientOptions.defaults());
        ExecutionException unendorsed = assertThrows(ExecutionException.class,
                () -> stranger.connect("127.0.0.1", target.clusterPort).get(CONNECT.toSeconds(), TimeUnit.SECONDS));
        ErrorCode refusedUnendorsed = code(unendorsed);
        assertTrue(refusedUnendorsed == ErrorCode.AUTH_REFUSED || refusedUnendorsed == ErrorCode.AUTH_REQUIRED,
                "an identity without endorsement at the cluster port: " + unendorsed.getCause());

        // An endorsement signed by some other cluster key.
        NodeIdentity identity = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random);
        try (NodeIdentity otherKey = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random)) {
            byte[] forged = Endorsement.issue(otherKey, identity.algorithm(), identity.publicKey(), Endorsement.NO_EXPIRY).encode();
            StreamClient impostor = client(ClientOptions.defaults().withSecurity(HandshakeSettings.defaults(identity, random).withEndorsement(forged)));
            ExecutionException wrongKey = assertThrows(ExecutionException.class,
                    () -> impostor.connect("127.0.0.1", target.clusterPort).get(CONNECT.toSeconds(), TimeUnit.SECONDS));
            assertEquals(ErrorCode.AUTH_REFUSED, code(wrongKey), "an endorsement by another cluster key: " + wrongKey.getCause());
        }

        // A client opening a LINK channel on the client port: the open is rejected with LINK_REFUSED; its stream goes on.
        Stream forger = good.connect("127.0.0.1", target.streamPort).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        ExecutionException linkRefused = assertThrows(ExecutionException.class, () -> forger.openChannel(ChannelType.LINK,
                new ChannelHandler() {
                }).get(CONNECT.toSeconds(), TimeUnit.SECONDS));
        String rejection = String.valueOf(linkRefused.getCause());
        assertTrue(rejection.contains("LINK_REFUSED") || rejection.contains("0x002d"), "a LINK channel on the client port: " + rejection);
        assertTrue(forger.active(), "the stream that asked goes on");

        // A client writing a node's DELIVER and FORWARD, and a 10 MB JOIN, each on a CLUSTER channel of one stream. DELIVER's
        // kind is no client kind and the JOIN's name length cannot describe 10 MB: each ends its channel with
        // MALFORMED_CLUSTER_MESSAGE, and nothing else. FORWARD's kind is SEND's: a client's SEND at most, from this client,
        // never from the forged origin.
        Stream hostileStream = good.connect("127.0.0.1", target.streamPort).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        Member hostile = new Member("hostile");
        ClusterChannel deliver = ClusterChannel.open(hostileStream, hostile).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        ClusterChannel forward = ClusterChannel.open(hostileStream, hostile).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        ClusterChannel join = ClusterChannel.open(hostileStream, hostile).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        byte[] name = "calm".getBytes(StandardCharsets.UTF_8);
        NodeAddress forgedOrigin = new NodeAddress(FORGED_ORIGIN);
        ByteBuffer forgedPayload = ByteBuffer.wrap(payload(-1, Long.BYTES));
        deliver.channel().write(PacketType.DATA, LinkCodec.encodeDeliver(name, 1, FORGED_ORIGIN, 7, 1, forgedPayload.duplicate()));
        forward.channel().write(PacketType.DATA, LinkCodec.encodeForward(name, FORGED_ORIGIN, 7, 1, forgedPayload.duplicate()));
        byte[] hugeJoin = new byte[10 * 1024 * 1024];
        hugeJoin[0] = (byte) ClusterMessage.KIND_JOIN;
        join.channel().write(PacketType.DATA, hugeJoin);
        for (ClusterChannel malformed : List.of(deliver, join)) {
            CloseReason end = malformed.channel().closed().get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
            assertEquals(ErrorCode.MALFORMED_CLUSTER_MESSAGE, end.errorCode(), "the malformed message's channel ends: " + end);
        }
        Thread.sleep(QUIET.toMillis());
        assertTrue(hostileStream.active(), "the stream goes on; only the channels that sent garbage ended");
        assertTrue(member.origins.stream().noneMatch(o -> o.equals(forgedOrigin.toString())),
                "no message claims the forged origin: " + member.origins);
        assertEquals(0, member.received.get(), "the forged FORWARD was no broadcast");

        // Nothing changed for the cluster: the same links, up since before; members still get their messages.
        assertEquals(upSince, upSince(), "no link went down or was replaced");
        ClusterChannel publisher = open(good, 2, new Member("publisher"));
        publish(publisher, "calm", 0, 10, BROADCAST_PAYLOAD);
        await("the member gets what a real publisher sends", DELIVERY, () -> member.received.get() == 10);
        assertEquals(List.of(), member.problems);
    }

    // ------------------------------------------------------------------ e. kill -9 and rejoin

    @Test
    @Order(6)
    void aKilledNodeIsDroppedWithinTheKeepaliveTimeoutTheOthersGoOnAndItRejoins() throws Exception {
        List<JsonObject> views = formed();
        ClusterProcesses.Node victim = cluster.nodes.get(2);
        String victimAddress = views.get(2).getString("node");
        StreamClient client = client();
        List<Member> survivors = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            survivors.add(join(client, i % 2, "live"));
        }
        Member onVictim = join(client, 2, "live");
        clusterHas("live", survivors.size() + 1);
        ClusterChannel publisher = open(client, 0, new Member("publisher"));

        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicLong published = new AtomicLong();
        CompletableFuture<Void> paced = CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            long interval = TimeUnit.SECONDS.toNanos(1) / KILL_RATE;
            for (long c = 0; publishing.get(); c++) {
                long due = start + c * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                publish(publisher, "live", c, 1, BROADCAST_PAYLOAD);
                published.set(c + 1);
            }
        });
        Thread.sleep(BEFORE_KILL.toMillis());
        assertTrue(onVictim.received.get() > 0, "the victim's member received before the kill");
        long atKill = published.get();
        long killed = System.nanoTime();
        cluster.kill(victim);

        // Each survivor drops its link to the dead node.
        long[] droppedAfter = new long[2];
        await("both survivors drop the dead node's link", KEEPALIVE_PLUS_MARGIN.plusSeconds(5), () -> {
            boolean all = true;
            for (int i = 0; i < 2; i++) {
                if (droppedAfter[i] == 0) {
                    if (links(cluster.admin(cluster.nodes.get(i))).stream().noneMatch(l -> victimAddress.equals(l.getString("peer")))) {
                        droppedAfter[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    } else {
                        all = false;
                    }
                }
            }
            return all;
        });
        System.out.printf("SIGKILL of node2: node0 dropped its link after %d ms, node1 after %d ms (keepalive timeout %d ms)%n",
                droppedAfter[0], droppedAfter[1], ClusterProcesses.KEEPALIVE_TIMEOUT.toMillis());
        for (int i = 0; i < 2; i++) {
            assertTrue(droppedAfter[i] <= KEEPALIVE_PLUS_MARGIN.toMillis(), "node" + i + " dropped the dead node after " + droppedAfter[i]
                    + " ms; the limit is the keepalive timeout + " + CRASH_MARGIN.toMillis() + " ms");
            JsonObject v = cluster.admin(cluster.nodes.get(i));
            JsonObject row = members(v).stream().filter(m -> victim.clusterEndpoint().equals(m.getString("endpoint"))).findFirst()
                    .orElseThrow(() -> new AssertionError("static discovery still lists the dead node: " + v.encode()));
            assertNotEquals("UP", row.getString("link"), "its member row: " + row.encode());
            assertEquals(survivors.size(), clusterView(v, "live").getLong("members"), "its members left cluster live: " + v.encode());
        }

        // The survivors go on: everything published, before and after the kill, reaches each of their members once, in order.
        Thread.sleep(AFTER_DROP.toMillis());
        publishing.set(false);
        paced.get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
        long total = published.get();
        assertTrue(total > atKill + KILL_RATE / 2, "published after the kill: " + (total - atKill));
        await("every surviving member got all " + total + " messages", DELIVERY,
                () -> survivors.stream().allMatch(m -> m.received.get() >= total));
        Thread.sleep(QUIET.toMillis());
        for (Member m : survivors) {
            assertEquals(total, m.received.get(), m + ": every message once");
            assertEquals(List.of(), m.problems, m.toString());
            assertEquals(0, m.skipped.get() + m.gaps.get(), m + ": nothing missed");
        }

        // The same node comes back (same ports, same identity) and rejoins.
        long restarted = System.nanoTime();
        cluster.launch(victim);
        cluster.awaitUp(victim);
        List<JsonObject> rejoined = cluster.awaitFormed(n -> true, NODES, REJOIN);
        System.out.printf("node2 restarted: cluster formed again %d ms after its launch%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
        assertEquals(victimAddress, rejoined.get(2).getString("node"), "the same identity");
        Member back = join(client, 2, "live");
        clusterHas("live", survivors.size() + 1);
        publish(publisher, "live", total, 100, BROADCAST_PAYLOAD);
        List<Member> all = new ArrayList<>(survivors);
        await("the rejoined node's member and every other get the next 100", DELIVERY,
                () -> back.received.get() == 100 && all.stream().allMatch(m -> m.received.get() == total + 100));
        assertEquals(List.of(), back.problems, back.toString());
        assertEquals(total, back.firstCounter.values().iterator().next(), "it gets what is published after it joined");
    }

    private static final Duration KEEPALIVE_PLUS_MARGIN = ClusterProcesses.KEEPALIVE_TIMEOUT.plus(CRASH_MARGIN);

    // ------------------------------------------------------------------ members and publishers

    /** A client member: checks what arrives per publisher (sequence and the publisher's own counter in the payload). */
    static class Member implements ClusterChannel.Listener {
        final String name;
        final AtomicLong received = new AtomicLong();
        final AtomicLong balanced = new AtomicLong();
        final AtomicLong gaps = new AtomicLong();
        /** Messages a publisher's sequence skipped (what a gap notice should account for). */
        final AtomicLong skipped = new AtomicLong();
        final List<String> problems = new CopyOnWriteArrayList<>();
        final Map<String, Long> firstCounter = new ConcurrentHashMap<>();
        /** How its stream ended, null while it is open. */
        volatile CloseReason closed;
        /** Every origin node a message named. */
        final Set<String> origins = ConcurrentHashMap.newKeySet();
        private final Map<String, long[]> last = new HashMap<>();

        Member(String name) {
            this.name = name;
        }

        @Override
        public synchronized void message(String cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean isBalanced) {
            long counter = payload.getLong(payload.position());
            origins.add(origin.toString());
            if (isBalanced) {
                balanced.incrementAndGet();
                return;
            }
            String key = cluster + "/" + origin + "/" + publisher;
            long[] before = last.put(key, new long[] {seq, counter});
            if (before == null) {
                firstCounter.put(key, counter);
            } else if (seq <= before[0] || counter <= before[1]) {
                problems.add(key + ": seq " + seq + " (counter " + counter + ") after seq " + before[0] + " (counter " + before[1] + ")");
            } else if (seq - before[0] != counter - before[1]) {
                problems.add(key + ": seq moved by " + (seq - before[0]) + ", the payload's counter by " + (counter - before[1]));
            } else {
                skipped.addAndGet(seq - before[0] - 1);
            }
            received.incrementAndGet();
        }

        @Override
        public void gap(String cluster, long missed) {
            gaps.addAndGet(missed);
        }

        @Override
        public void refused(int code, String reason) {
            problems.add("refused " + ErrorCode.fromCode(code) + ": " + reason);
        }

        @Override
        public String toString() {
            return name + "{received " + received + ", balanced " + balanced + ", gaps " + gaps + ", skipped " + skipped
                    + (closed == null ? "" : ", stream closed: " + closed) + "}";
        }
    }

    /** A payload of {@code size} bytes starting with the publisher's counter. */
    private static byte[] payload(long counter, int size) {
        return ByteBuffer.allocate(Math.max(Long.BYTES, size)).putLong(0, counter).array();
    }

    /** Publishes counters {@code from} .. {@code from + n - 1}, waiting whenever the channel says so. */
    private static void publish(ClusterChannel channel, String cluster, long from, int n, int size) {
        try {
            for (long c = from; c < from + n; c++) {
                if (!channel.publish(cluster, payload(c, size))) {
                    channel.channel().whenWritable().get(DELIVERY.toSeconds(), TimeUnit.SECONDS);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("publishing to " + cluster + " failed", e);
        }
    }

    /**
     * Publishes counters 0 .. {@code n - 1}, never more than {@link #MAX_IN_FLIGHT} (of all publishers sharing
     * {@code published}) ahead of the slowest receiver: a steady stream rather than a burst, since the nodes' keepalive of
     * 1 s is short for three nodes and the test on two cores (the burst is the benchmark's business, not this test's).
     */
    private static void publishPaced(ClusterChannel channel, String cluster, int n, AtomicLong published, List<Member> receivers) {
        long deadline = System.nanoTime() + DELIVERY.toNanos();
        for (int c = 0; c < n; c++) {
            while (published.get() - receivers.stream().mapToLong(r -> r.received.get()).min().orElse(0) >= MAX_IN_FLIGHT) {
                if (System.nanoTime() > deadline || receivers.stream().anyMatch(r -> r.closed != null)) {
                    throw new IllegalStateException("the receivers stopped taking messages: " + receivers);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            publish(channel, cluster, c, 1, BROADCAST_PAYLOAD);
            published.incrementAndGet();
        }
    }

    private StreamClient client() {
        return client(ClientOptions.defaults().withStream(CLIENT_STREAM).withEventLoops(2));
    }

    private StreamClient client(ClientOptions options) {
        StreamClient c = new StreamClient(options);
        clients.add(c);
        return c;
    }

    private ClusterChannel open(StreamClient client, int node, Member member) throws Exception {
        Stream s = client.connect("127.0.0.1", cluster.nodes.get(node).streamPort).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        s.closed().thenAccept(reason -> member.closed = reason);
        return ClusterChannel.open(s, member).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
    }

    private Member join(StreamClient client, int node, String name) throws Exception {
        Member m = new Member(name + "@node" + node);
        open(client, node, m).join(name).get(CONNECT.toSeconds(), TimeUnit.SECONDS);
        return m;
    }

    private void awaitReaders(List<Member> readers, long n) throws InterruptedException {
        await(() -> "every reader got " + n + ": " + readers + counters(), DELIVERY, () -> readers.stream().allMatch(r -> r.received.get() >= n));
    }

    // ------------------------------------------------------------------ views

    private List<JsonObject> formed() throws InterruptedException {
        for (ClusterProcesses.Node n : cluster.nodes) {
            cluster.awaitUp(n);
        }
        return cluster.awaitFormed(n -> true, NODES, FORM);
    }

    /** Waits until every live node counts {@code members} members of cluster {@code name}. */
    private void clusterHas(String name, long members) throws InterruptedException {
        await("every node sees " + members + " members of " + name, DELIVERY, () -> cluster.views(ClusterProcesses.Node::alive).stream()
                .allMatch(v -> clusterView(v, name) != null && clusterView(v, name).getLong("members") == members));
    }

    private Map<String, String> upSince() {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < NODES; i++) {
            for (JsonObject l : links(cluster.admin(cluster.nodes.get(i)))) {
                out.put("node" + i + "->" + l.getString("peer"), String.valueOf(l.getValue("upSince")));
            }
        }
        return out;
    }

    private int indexOf(String endpoint) {
        for (ClusterProcesses.Node n : cluster.nodes) {
            if (n.clusterEndpoint().equals(endpoint)) {
                return n.index;
            }
        }
        throw new AssertionError("no node at " + endpoint);
    }

    private static List<JsonObject> members(JsonObject view) {
        return objects(view.getJsonArray("members"));
    }

    private static List<JsonObject> links(JsonObject view) {
        return objects(view.getJsonArray("links"));
    }

    private static JsonObject clusterView(JsonObject view, String name) {
        return objects(view.getJsonArray("clusters")).stream().filter(c -> name.equals(c.getString("name"))).findFirst().orElse(null);
    }

    private static List<JsonObject> objects(JsonArray array) {
        return array == null ? List.of() : array.stream().map(o -> (JsonObject) o).toList();
    }

    private static long delta(List<JsonObject> before, List<JsonObject> after, int node, String counter) {
        return after.get(node).getLong(counter) - before.get(node).getLong(counter);
    }

    private static ErrorCode code(ExecutionException e) {
        StreamException cause = assertInstanceOf(StreamException.class, e.getCause(), "the handshake's failure");
        return cause.reason().errorCode();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        await(() -> what, limit, condition);
    }

    /** Waits for {@code condition}; on time-out, fails with {@code what} as it is then (the state that was not reached). */
    private static void await(Supplier<String> what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit.toMillis() + " ms: " + what.get());
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Each live node's delivery counters and named clusters, for a failure message. */
    private String counters() {
        StringBuilder b = new StringBuilder();
        for (ClusterProcesses.Node n : cluster.nodes) {
            if (n.alive()) {
                JsonObject v = cluster.admin(n);
                b.append("\nnode").append(n.index).append(": deliveries ").append(v.getLong("deliveries")).append(", forwards ")
                        .append(v.getLong("forwards")).append(", gapNotices ").append(v.getLong("gapNotices")).append(", missed ")
                        .append(v.getLong("missed")).append(", undeliverable ").append(v.getLong("undeliverable")).append(", clusters ")
                        .append(v.getJsonArray("clusters").encode());
            }
        }
        return b.toString();
    }
}
