package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A measurement, not a CI test (tagged {@code soak}, and named so neither surefire nor failsafe
 * picks it up by default): 3 member nodes of the packaged jar started at once, {@value #DEFAULT_RUNS}
 * times over; each run must form one cluster (every node's {@code /admin/cluster} shows 3 members
 * and 2 links up), and reports its time to formed. Each run also times how long the two others take
 * to drop a member that freezes (SIGSTOP: no FIN, no RST, only the keepalive can tell) and one that
 * leaves gracefully (SIGTERM). Run it after {@code package}:
 *
 * <pre>
 * ./mvnw -B -ntp -o verify -Dit.test=ClusterFormingMeasurement -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false [-Ddap.forming.runs=20]
 * </pre>
 */
@Tag("soak")
class ClusterFormingMeasurement {
    static final int DEFAULT_RUNS = 20;
    private static final int NODES = 3;
    private static final Duration FORM = Duration.ofSeconds(120);
    private static final Duration DROP = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(10);

    @Test
    void threeNodesStartedAtOnceFormOneCluster() throws Exception {
        int runs = Integer.getInteger("dap.forming.runs", DEFAULT_RUNS);
        List<Long> fromLaunch = new ArrayList<>();
        List<Long> fromLastUp = new ArrayList<>();
        List<Long> frozen = new ArrayList<>();
        List<Long> left = new ArrayList<>();
        List<Long> draining = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            try (ClusterProcesses cluster = new ClusterProcesses(NODES, "cluster-forming")) {
                long launched = System.nanoTime();
                cluster.launchAll();
                long lastUp = 0;
                for (ClusterProcesses.Node n : cluster.nodes) {
                    cluster.awaitUp(n);
                    lastUp = System.nanoTime();
                }
                try {
                    cluster.awaitFormed(n -> true, NODES, FORM);
                } catch (AssertionError e) {
                    failures.add("run " + run + ": " + e.getMessage().lines().findFirst().orElse(""));
                    System.out.println("run " + run + ": NOT FORMED within " + FORM.toSeconds() + " s (files in " + cluster.dir + ")");
                    continue;
                }
                long formed = System.nanoTime();
                fromLaunch.add(TimeUnit.NANOSECONDS.toMillis(formed - launched));
                fromLastUp.add(TimeUnit.NANOSECONDS.toMillis(formed - lastUp));

                // Node 1 freezes: only the keepalive finds it.
                ClusterProcesses.Node victim = cluster.nodes.get(1);
                String victimAddress = cluster.admin(victim).getString("node");
                signal("STOP", victim);
                long stopped = System.nanoTime();
                long frozenDrop = awaitDropped(cluster, n -> n.index != 1, victimAddress, stopped);
                signal("CONT", victim);
                frozen.add(frozenDrop);

                // Node 2 leaves gracefully (after node 1 is back: its drop is timed from the SIGTERM).
                cluster.awaitFormed(n -> true, NODES, FORM);
                ClusterProcesses.Node leaving = cluster.nodes.get(2);
                String leavingAddress = cluster.admin(leaving).getString("node");
                leaving.process.destroy();
                long term = System.nanoTime();
                long drainingSeen = awaitDraining(cluster, n -> n.index != 2, leavingAddress, term);
                long leftDrop = awaitDropped(cluster, n -> n.index != 2, leavingAddress, term);
                draining.add(drainingSeen);
                left.add(leftDrop);
                System.out.printf("run %d: formed %d ms after launch (%d ms after the last node answered); a frozen member dropped "
                        + "after %d ms; a graceful leave: DRAINING seen after %d ms, link gone after %d ms%n", run, fromLaunch.get(fromLaunch.size() - 1),
                        fromLastUp.get(fromLastUp.size() - 1), frozenDrop, drainingSeen, leftDrop);
            }
        }
        System.out.printf("formed in %d of %d runs; time to formed after launch: %s; after the last node answered: %s; frozen member "
                + "dropped after: %s (keepalive timeout %d ms); graceful leave, DRAINING seen after: %s; its link gone after: %s%n",
                fromLaunch.size(), runs, summary(fromLaunch), summary(fromLastUp), summary(frozen), ClusterProcesses.KEEPALIVE_TIMEOUT.toMillis(),
                summary(draining), summary(left));
        assertEquals(List.of(), failures, "every run forms one cluster");
    }

    /** Waits until no node in {@code which} has a link to {@code peer}; the milliseconds since {@code since}. */
    private static long awaitDropped(ClusterProcesses cluster, Predicate<ClusterProcesses.Node> which, String peer, long since)
            throws InterruptedException {
        long deadline = since + DROP.toNanos();
        while (System.nanoTime() < deadline) {
            boolean gone = cluster.views(which).stream().allMatch((JsonObject v) -> v.getJsonArray("links").stream()
                    .noneMatch(l -> peer.equals(((JsonObject) l).getString("peer"))));
            if (gone) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError(peer + " still linked " + DROP.toSeconds() + " s later");
    }

    /** Waits until every node in {@code which} shows {@code peer} draining, or no longer linked; the milliseconds since {@code since}. */
    private static long awaitDraining(ClusterProcesses cluster, Predicate<ClusterProcesses.Node> which, String peer, long since)
            throws InterruptedException {
        long deadline = since + DROP.toNanos();
        while (System.nanoTime() < deadline) {
            boolean seen = cluster.views(which).stream().allMatch((JsonObject v) -> v.getJsonArray("members").stream()
                    .map(m -> (JsonObject) m).filter(m -> peer.equals(m.getString("node")))
                    .allMatch(m -> "DRAINING".equals(m.getString("peerState")) || !"UP".equals(m.getString("link"))));
            if (seen) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError(peer + " not seen leaving " + DROP.toSeconds() + " s later");
    }

    private static void signal(String name, ClusterProcesses.Node node) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(node.process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + node.process.pid() + " failed");
        }
    }

    private static String summary(List<Long> values) {
        if (values.isEmpty()) {
            return "none";
        }
        List<Long> sorted = values.stream().sorted().toList();
        return "min " + sorted.get(0) + " ms, median " + sorted.get(sorted.size() / 2) + " ms, max " + sorted.get(sorted.size() - 1)
                + " ms (all: " + values + ")";
    }
}
