package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClientSession;
import org.dapstream.client.SessionOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.stream.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rebalancing after a scale-up, with real node processes (packaged jar, static discovery, one
 * shared ticket key, the rebalancing defaults): 300 client sessions on one node, each with an
 * ECHO channel carrying sequence-numbered messages, then two more nodes start. The first node
 * sends its excess to the new ones, each session moving by hand-over: every node ends within
 * 10 % of the mean within 60 s of the cluster forming, the sessions moved are at most 1.05
 * times the fewest that could even it, and every echo arrives once, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RebalanceIT {
    static final int NODES = 3;
    static final int SESSIONS = 300;
    static final int TIMEOUT_SECONDS = 60;
    static final Duration BALANCED_WITHIN = Duration.ofSeconds(60);

    private ClusterProcesses cluster;
    private StreamClient client;

    @BeforeAll
    void launch() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        cluster = new ClusterProcesses(NODES, "rebalance-it")
                .with("dap.stream.session.ticket-key", Base64.getEncoder().encodeToString(key));
        cluster.launch(cluster.nodes.get(0));
        cluster.awaitUp(cluster.nodes.get(0));
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private int sessionsOn(ClusterProcesses.Node node) {
        return cluster.admin(node, "/admin/node").getInteger("sessions");
    }

    @Test
    @Timeout(600)
    void threeHundredSessionsOnOneNodeSpreadOverThreeWithTheFewestMovesAndNothingLost() throws Exception {
        client = new StreamClient(ClientOptions.defaults());
        String first = "127.0.0.1:" + cluster.nodes.get(0).streamPort;
        List<SessionHandOverIT.Moves> moves = new ArrayList<>();
        List<SessionHandOverIT.Echoes> echoes = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        SessionOptions options = new SessionOptions(Duration.ofMillis(20), Duration.ofMillis(500));
        for (int s = 0; s < SESSIONS; s++) {
            SessionHandOverIT.Moves m = new SessionHandOverIT.Moves();
            moves.add(m);
            ClientSession session = client.connectSession(List.of(first), options, m).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            SessionHandOverIT.Echoes e = new SessionHandOverIT.Echoes(s);
            echoes.add(e);
            channels.add(session.openChannel(ChannelType.ECHO, e).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
        assertEquals(SESSIONS, sessionsOn(cluster.nodes.get(0)));
        AtomicBoolean writing = new AtomicBoolean(true);
        int[] written = new int[SESSIONS];
        // every session sends ten messages a second
        CompletableFuture<Void> writer = SessionHandOverIT.writeNumbered(channels, written, writing, 100, (n, c) -> 64 + (n + c) % 512);

        cluster.launch(cluster.nodes.get(1));
        cluster.launch(cluster.nodes.get(2));
        cluster.awaitUp(cluster.nodes.get(1));
        cluster.awaitUp(cluster.nodes.get(2));
        cluster.awaitFormed(n -> true, NODES, ClusterProcesses.START_TIMEOUT);
        long formed = System.nanoTime();
        int[] counts = new int[NODES];
        long balancedAfter = -1;
        double mean = SESSIONS / (double) NODES;
        while (System.nanoTime() - formed < BALANCED_WITHIN.toNanos()) {
            boolean balanced = true;
            for (int i = 0; i < NODES; i++) {
                counts[i] = sessionsOn(cluster.nodes.get(i));
                balanced &= Math.abs(counts[i] - mean) <= 0.10 * mean;
            }
            if (balanced) {
                balancedAfter = (System.nanoTime() - formed) / 1_000_000;
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(balancedAfter >= 0, "within 10 % of " + mean + " on every node within " + BALANCED_WITHIN.toSeconds() + " s: "
                + Arrays.toString(counts));
        Thread.sleep(Duration.ofSeconds(12).toMillis()); // two more rebalancing intervals: nothing more may move
        int[] settled = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            settled[i] = sessionsOn(cluster.nodes.get(i));
        }
        writing.set(false);
        writer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (int c = 0; c < SESSIONS; c++) {
            SessionHandOverIT.Echoes e = echoes.get(c);
            int want = written[c];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (e.next.get() < want && e.problem == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertNull(e.problem);
            assertEquals(want, e.next.get(), "every echo of session " + c + " arrived");
        }
        int moved = 0;
        List<Long> pauses = new ArrayList<>();
        long messages = 0;
        for (int c = 0; c < SESSIONS; c++) {
            SessionHandOverIT.Moves m = moves.get(c);
            assertFalse(m.ended.isDone(), "no session ended: " + m.ended.getNow(null));
            synchronized (m) {
                moved += m.pausesMillis.size();
                pauses.addAll(m.pausesMillis);
            }
            messages += written[c];
        }
        pauses.sort(null);
        int fewest = SESSIONS - (int) Math.ceil(mean); // what the first node holds above the mean
        System.out.printf("rebalance 1 -> %d nodes: %d sessions, balanced %s after %d ms from forming, settled at %s; moved %d "
                        + "(fewest %d, ratio %.3f); %d messages each way, 0 lost, 0 repeated; pause p50 %d ms, p99 %d ms, max %d ms%n",
                NODES, SESSIONS, Arrays.toString(counts), balancedAfter, Arrays.toString(settled), moved, fewest,
                moved / (double) fewest, messages, SessionHandOverIT.percentile(pauses, 0.5), SessionHandOverIT.percentile(pauses, 0.99),
                pauses.get(pauses.size() - 1));
        for (ClusterProcesses.Node n : cluster.nodes) {
            System.out.println("rebalance: " + n + " " + cluster.metrics(n, "dap_stream_resumes_total").stream()
                    .filter(l -> !l.endsWith(" 0.0")).toList() + " " + cluster.metrics(n, "dap_stream_cluster_rebalance_moves_total"));
        }
        assertTrue(moved <= 1.05 * fewest, "moved " + moved + ", at most 1.05 x " + fewest);
        for (int i = 0; i < NODES; i++) {
            assertTrue(Math.abs(settled[i] - mean) <= 0.10 * mean, "still within 10 % after two more intervals: "
                    + Arrays.toString(settled));
        }
    }
}
