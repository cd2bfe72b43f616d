package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClientSession;
import org.dapstream.client.CuttingProxy;
import org.dapstream.client.SessionListener;
import org.dapstream.client.SessionOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.client.TicketReplay;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelGap;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntBinaryOperator;

/**
 * A rolling restart of three real node processes under traffic (packaged jar, static
 * discovery, one shared ticket key): each node in turn gets SIGTERM, drains, and starts again,
 * while clients keep sending sequence-numbered messages on several ECHO channels. Each
 * draining node names another member in its GOAWAY, its clients move there and the session is
 * handed over: every echo arrives once, in order, no session ends, and the pause each session
 * saw at each move is printed as p50/p99/max.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionHandOverIT {
    static final int NODES = 3;
    static final int SESSIONS = 6;
    static final int CHANNELS = 2;
    /** Long enough for every client to move and every hand-over to finish; far below the stop timeout. */
    static final Duration GRACE = Duration.ofSeconds(8);
    static final int TIMEOUT_SECONDS = 60;

    private ClusterProcesses cluster;
    private final List<StreamClient> clients = new ArrayList<>();

    @BeforeAll
    void launch() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        cluster = new ClusterProcesses(NODES, "handover-it")
                .with("dap.stream.session.ticket-key", Base64.getEncoder().encodeToString(key))
                .with("dap.stream.drain.grace-period", GRACE.toMillis() + "ms");
        cluster.launchAll();
        for (ClusterProcesses.Node n : cluster.nodes) {
            cluster.awaitUp(n);
        }
        cluster.awaitFormed(n -> true, NODES, ClusterProcesses.START_TIMEOUT);
    }

    @AfterAll
    void stop() throws Exception {
        clients.forEach(StreamClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Message {@code n} of a channel: its number, then {@code size - 4} bytes derived from channel and number. */
    static byte[] message(int channel, int n, int size) {
        byte[] m = new byte[Math.max(4, size)];
        ByteBuffer.wrap(m).putInt(n);
        SplittableRandom r = new SplittableRandom(channel * 7_919L + n);
        for (int i = 4; i < m.length; i++) {
            m[i] = (byte) r.nextInt();
        }
        return m;
    }

    /** Checks a channel's echoes: each the next number, with its bytes. */
    static final class Echoes implements ChannelHandler {
        final int channel;
        final AtomicInteger next = new AtomicInteger();
        volatile String problem;

        Echoes(int channel) {
            this.channel = channel;
        }

        @Override
        public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
            byte[] got = new byte[data.remaining()];
            data.get(got);
            int n = ByteBuffer.wrap(got).getInt();
            int expected = next.get();
            if (problem == null && n != expected) {
                problem = "channel " + channel + ": expected " + expected + ", got " + n + (n < expected ? " (a repeat)" : " (a gap)");
            } else if (problem == null && !Arrays.equals(got, message(channel, n, got.length))) {
                problem = "channel " + channel + ": message " + n + " arrived with other bytes";
            }
            next.set(n + 1);
        }
    }

    /** What a session's listener hears: each move's pause, gap notices, and an end (which must not come). */
    static final class Moves implements SessionListener {
        final List<Long> pausesMillis = new ArrayList<>();
        final List<ChannelGap> gaps = new CopyOnWriteArrayList<>();
        final CompletableFuture<CloseReason> ended = new CompletableFuture<>();

        @Override
        public void gap(ClientSession session, ChannelGap gap) {
            gaps.add(gap);
        }

        @Override
        public synchronized void resumed(ClientSession session, Stream stream, Duration pause, int attempts) {
            pausesMillis.add(pause.toMillis());
        }

        @Override
        public void ended(ClientSession session, CloseReason reason) {
            ended.complete(reason);
        }
    }

    @Test
    @Order(1)
    @Timeout(600)
    void aRollingRestartUnderTrafficLosesNothingAndRepeatsNothing() throws Exception {
        List<String> endpoints = new ArrayList<>();
        for (ClusterProcesses.Node n : cluster.nodes) {
            endpoints.add("127.0.0.1:" + n.streamPort);
        }
        StreamClient client = new StreamClient(ClientOptions.defaults());
        clients.add(client);
        SessionOptions options = new SessionOptions(Duration.ofMillis(20), Duration.ofMillis(500));
        List<Moves> moves = new ArrayList<>();
        List<Echoes> echoes = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            List<String> order = new ArrayList<>(endpoints);
            Collections.rotate(order, -(s % NODES)); // the sessions begin spread over the nodes
            Moves m = new Moves();
            moves.add(m);
            ClientSession session = client.connectSession(order, options, m).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            for (int c = 0; c < CHANNELS; c++) {
                Echoes e = new Echoes(echoes.size());
                echoes.add(e);
                channels.add(session.openChannel(ChannelType.ECHO, e).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        int[] written = new int[channels.size()];
        SplittableRandom sizes = new SplittableRandom(3); // used by the writer's thread alone
        // a steady stream of traffic, not a flood: the machine also runs three nodes
        CompletableFuture<Void> writer = writeNumbered(channels, written, writing, 2,
                (n, c) -> sizes.nextInt(50) == 0 ? 4 + sizes.nextInt(32 * 1024) : 4 + sizes.nextInt(400));

        for (ClusterProcesses.Node node : cluster.nodes) {
            Thread.sleep(1_000);
            long before = System.nanoTime();
            cluster.stop(node); // SIGTERM: the node drains, its sessions move, then it exits
            System.out.printf("rolling restart: %s stopped in %d ms%n", node, (System.nanoTime() - before) / 1_000_000);
            assertTrue(cluster.log(node).contains("drained:"), "the node drained before it stopped:\n" + ClusterProcesses.tail(node));
            cluster.launch(node);
            cluster.awaitUp(node);
            cluster.awaitFormed(n -> true, NODES, ClusterProcesses.START_TIMEOUT);
        }
        Thread.sleep(1_000);
        writing.set(false);
        writer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (int c = 0; c < channels.size(); c++) {
            Echoes e = echoes.get(c);
            int want = written[c];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (e.next.get() < want && e.problem == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertNull(e.problem);
            assertEquals(want, e.next.get(), "every echo of channel " + c + " arrived");
        }
        List<Long> pauses = new ArrayList<>();
        for (Moves m : moves) {
            assertFalse(m.ended.isDone(), "no session ended: " + m.ended.getNow(null));
            synchronized (m) {
                pauses.addAll(m.pausesMillis);
            }
        }
        pauses.sort(null);
        long total = 0;
        for (int w : written) {
            total += w;
        }
        System.out.printf("rolling restart of %d nodes: %d sessions, %d channels, %d messages each way, 0 lost, 0 repeated; "
                        + "%d moves, pause p50 %d ms, p99 %d ms, max %d ms%n", NODES, SESSIONS, channels.size(), total, pauses.size(),
                percentile(pauses, 0.50), percentile(pauses, 0.99), pauses.get(pauses.size() - 1));
        assertTrue(pauses.size() >= SESSIONS, "every session moved at least once: " + pauses);
        for (ClusterProcesses.Node node : cluster.nodes) {
            assertTrue(cluster.log(node).contains("drained:"));
        }
    }

    /**
     * kill -9 of the member that holds three sessions: each resumes at another member with a
     * gap notice that says exactly which echoes were lost (the sequence numbers prove it), goes
     * on there with a new channel, and the dead member's ticket is refused at a third member.
     */
    /**
     * A client cut off from its member (a proxy in between cuts the connection and refuses the
     * next) resumes at the next member of its list, which takes the session over from the
     * first: every echo once, in order, no gap; the ticket it moved with is refused at the third.
     */
    @Test
    @Order(2)
    @Timeout(300)
    void aClientCutOffFromItsMemberResumesAtAnotherWithNothingLostAndItsOldTicketIsRefused() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            CuttingProxy proxy = new CuttingProxy(vertx, cluster.nodes.get(0).streamPort);
            StreamClient client = new StreamClient(ClientOptions.defaults());
            clients.add(client);
            Moves m = new Moves();
            ClientSession session = client.connectSession(List.of("127.0.0.1:" + proxy.port(), "127.0.0.1:" + cluster.nodes.get(1).streamPort),
                    new SessionOptions(Duration.ofMillis(20), Duration.ofMillis(500)), m).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Echoes e = new Echoes(0);
            Channel ch = session.openChannel(ChannelType.ECHO, e).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            AtomicBoolean writing = new AtomicBoolean(true);
            int[] written = new int[1];
            CompletableFuture<Void> writer = writeNumbered(List.of(ch), written, writing, 1, (n, c) -> 4 + (n * 37) % 2000);
            Thread.sleep(1_000);
            ResumeTicket movedWith = TicketReplay.copy(session.stream().resumeTicket());
            proxy.refuse(true);
            proxy.cutAll();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while ((m.pausesMillis.isEmpty() || session.suspended()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(500);
            writing.set(false);
            writer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (e.next.get() < written[0] && e.problem == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertNull(e.problem);
            assertEquals(written[0], e.next.get(), "every echo arrived, once, in order");
            assertTrue(m.gaps.isEmpty(), "a hand-over, not a gap: " + m.gaps);
            assertFalse(m.ended.isDone());
            System.out.printf("cut: resumed at the second member after %d ms, %d messages each way, 0 lost, 0 repeated%n",
                    m.pausesMillis.get(0), written[0]);
            assertEquals(ErrorCode.TICKET_REPLAYED, TicketReplay.refusal(client, "127.0.0.1", cluster.nodes.get(2).streamPort, movedWith,
                    Duration.ofSeconds(TIMEOUT_SECONDS)), "the ticket the session moved with is spent in the whole cluster");
            assertEquals(Channel.State.OPEN, ch.state(), "the replay did not touch the session");
            session.close();
            proxy.close();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(3)
    @Timeout(300)
    void aKilledMembersSessionsResumeElsewhereWithAGapNoticeThatMatchesWhatWasLost() throws Exception {
        ClusterProcesses.Node victim = cluster.nodes.get(0);
        List<String> endpoints = new ArrayList<>();
        for (ClusterProcesses.Node n : cluster.nodes) {
            endpoints.add("127.0.0.1:" + n.streamPort);
        }
        StreamClient client = new StreamClient(ClientOptions.defaults());
        clients.add(client);
        SessionOptions options = new SessionOptions(Duration.ofMillis(20), Duration.ofMillis(500));
        List<Moves> moves = new ArrayList<>();
        List<Echoes> echoes = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        List<ClientSession> sessions = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            Moves m = new Moves();
            moves.add(m);
            ClientSession session = client.connectSession(endpoints, options, m).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            sessions.add(session);
            Echoes e = new Echoes(s);
            echoes.add(e);
            channels.add(session.openChannel(ChannelType.ECHO, e).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        int[] written = new int[channels.size()];
        CompletableFuture<Void> writer = writeNumbered(channels, written, writing, 2, (n, c) -> 4 + (n * 31 + c) % 900);
        Thread.sleep(1_500); // traffic in both directions when the member dies
        ResumeTicket lost = TicketReplay.copy(sessions.get(0).stream().resumeTicket());
        cluster.kill(victim);
        long killed = System.nanoTime();
        writing.set(false); // stops within a round, long before a session can resume (the back-off alone is longer)
        writer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (int s = 0; s < sessions.size(); s++) {
            Moves m = moves.get(s);
            ClientSession session = sessions.get(s);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while ((m.gaps.isEmpty() || session.suspended()) && System.nanoTime() < deadline && !m.ended.isDone()) {
                Thread.sleep(10);
            }
            assertFalse(m.ended.isDone(), "the session goes on: " + m.ended.getNow(null));
            assertEquals(1, m.gaps.size(), "one gap notice, for its one channel");
            ChannelGap gap = m.gaps.get(0);
            Echoes e = echoes.get(s);
            assertNull(e.problem, "what arrived before the kill arrived once, in order");
            assertEquals(e.next.get(), gap.received(), "the gap starts right after the last echo that arrived: " + gap);
            assertEquals(written[s], gap.written(), "the gap counts every message written, also those written after the kill");
            assertTrue(gap.received() <= gap.written() && gap.acknowledged() <= gap.written(), gap.toString());
            System.out.printf("kill -9: session %d resumed after %d ms; %s%n", s, m.pausesMillis.isEmpty() ? -1 : m.pausesMillis.get(0), gap);
            Echoes fresh = new Echoes(100 + s);
            Channel again = session.openChannel(ChannelType.ECHO, fresh).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            again.write(PacketType.DATA, message(100 + s, 0, 64));
            long echoDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (fresh.next.get() < 1 && fresh.problem == null && System.nanoTime() < echoDeadline) {
                Thread.sleep(10);
            }
            assertEquals(1, fresh.next.get(), "a new channel of the session echoes where it resumed");
        }
        System.out.printf("kill -9: %d sessions resumed with gap notices within %d ms of the kill%n", sessions.size(),
                (System.nanoTime() - killed) / 1_000_000);
        ClusterProcesses.Node other = cluster.nodes.get(2);
        assertEquals(ErrorCode.TICKET_REPLAYED, TicketReplay.refusal(client, "127.0.0.1", other.streamPort, lost,
                Duration.ofSeconds(TIMEOUT_SECONDS)), "the dead member's ticket is taken once in the cluster");
    }

    /**
     * Writes message 0, 1, 2, ... on every channel in turn, waiting on back-pressure and
     * {@code pauseMillis} after each round, until {@code writing} is cleared; {@code written[c]}
     * is how many channel {@code c} took. {@code size} gives message {@code n}'s size on channel {@code c}.
     */
    static CompletableFuture<Void> writeNumbered(List<Channel> channels, int[] written, AtomicBoolean writing, long pauseMillis,
                                                 IntBinaryOperator size) {
        return CompletableFuture.runAsync(() -> {
            try {
                for (int n = 0; writing.get(); n++) {
                    for (int c = 0; c < channels.size(); c++) {
                        if (!channels.get(c).write(PacketType.DATA, message(c, n, size.applyAsInt(n, c)))) {
                            channels.get(c).whenWritable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        }
                        written[c] = n + 1;
                    }
                    Thread.sleep(pauseMillis);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static long percentile(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
