package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code local-cluster} of the packaged jar: three nodes on loopback form one cluster (every
 * node's {@code /admin/cluster} shows the other two linked), a second launcher on the same ports
 * refuses to start, and SIGTERM to the launcher (what Ctrl-C does) stops every node.
 *
 * <pre>
 * ./mvnw -B -ntp -o verify -Dit.test=LocalClusterIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class LocalClusterIT {
    private static final int NODES = 3;
    private static final Duration FORMED = Duration.ofSeconds(150);
    private static final Duration STOPPED = Duration.ofSeconds(40);
    private static final Duration REFUSED = Duration.ofSeconds(30);
    /** Ports of a node: the launcher's stride and how many of them a node uses. */
    private static final int STRIDE = 10;
    private static final int PORTS_PER_NODE = 4;
    private static final Pattern ADMIN = Pattern.compile("^node(\\d)  client \\S+  admin (\\S+)  cluster", Pattern.MULTILINE);
    private static final Pattern TOKEN = Pattern.compile("^admin token: (\\S+)", Pattern.MULTILINE);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private Process launcher;
    private final List<ProcessHandle> nodes = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        if (launcher != null && launcher.isAlive()) {
            nodes.addAll(launcher.descendants().toList());
            launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle n : nodes) {
            n.destroyForcibly();
        }
    }

    @Test
    void threeNodesFormAClusterAndStopWithTheLauncher() throws Exception {
        Path jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), jar + " is missing: LocalClusterIT runs after package");
        Path target = jar.getParent().getParent();
        Path dir = target.resolve("local-cluster-it-" + System.currentTimeMillis());
        Path output = target.resolve(dir.getFileName() + ".out");
        int base = freeBase();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long started = System.nanoTime();
        launcher = new ProcessBuilder(java, "-jar", jar.toString(), "local-cluster", "--nodes", String.valueOf(NODES), "--base-port",
                String.valueOf(base), "--dir", dir.toString()).redirectErrorStream(true).redirectOutput(output.toFile()).start();

        String printed = awaitOutput(output, "cluster formed", FORMED);
        System.out.printf("local-cluster: %d nodes formed %d ms after the launcher started%n", NODES,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        Matcher token = TOKEN.matcher(printed);
        assertTrue(token.find(), "the admin token is printed:\n" + printed);
        Matcher admin = ADMIN.matcher(printed);
        List<String> urls = new ArrayList<>();
        while (admin.find()) {
            urls.add(admin.group(2));
        }
        assertEquals(NODES, urls.size(), "a line per node with its admin URL:\n" + printed);
        for (int i = 0; i < NODES; i++) {
            assertEquals("http://127.0.0.1:" + (base + i * STRIDE + 2) + "/admin/cluster", urls.get(i), "the documented port layout");
            assertTrue(printed.contains("client 127.0.0.1:" + (base + i * STRIDE)), printed);
            JsonObject view = view(urls.get(i), token.group(1));
            assertTrue(ClusterProcesses.formed(view, NODES), "node" + i + " shows the cluster formed: " + view.encodePrettily());
        }
        assertTrue(Files.isRegularFile(dir.resolve("cluster-key.pem")), "the generated cluster key is in the directory");
        nodes.addAll(launcher.descendants().toList());
        assertEquals(NODES, launcher.children().count(), "one child JVM per node: " + launcher.children().toList());

        // The same ports again: refused before anything starts.
        Process second = new ProcessBuilder(java, "-jar", jar.toString(), "local-cluster", "--base-port", String.valueOf(base),
                "--dir", dir.resolveSibling(dir.getFileName() + "-second").toString()).redirectErrorStream(true).start();
        assertTrue(second.waitFor(REFUSED.toSeconds(), TimeUnit.SECONDS), "a second launcher on the same ports exits");
        String secondOut = new String(second.getInputStream().readAllBytes());
        assertEquals(1, second.exitValue(), secondOut);
        assertTrue(secondOut.contains("port " + base + " on 127.0.0.1 is in use (node 0); choose another --base-port"), secondOut);

        // SIGTERM to the launcher, as Ctrl-C sends SIGINT: it stops every node, then exits.
        long stop = System.nanoTime();
        launcher.destroy();
        assertTrue(launcher.waitFor(STOPPED.toSeconds(), TimeUnit.SECONDS), "the launcher exits\n" + Files.readString(output));
        for (ProcessHandle n : nodes) {
            assertTrue(!n.isAlive() || n.onExit().completeOnTimeout(null, STOPPED.toSeconds(), TimeUnit.SECONDS).join() != null,
                    "node process " + n.pid() + " stopped with the launcher");
        }
        System.out.printf("local-cluster: launcher and nodes stopped %d ms after SIGTERM%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop));
        String all = Files.readString(output);
        assertTrue(all.contains("stopping " + NODES + " nodes") && all.contains("stopped"), all);
        assertTrue(!all.contains("every node exited"), "stopping is not reported as a failure:\n" + all);
    }

    private JsonObject view(String url, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return new JsonObject(r.body());
    }

    private String awaitOutput(Path output, String text, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String printed = Files.exists(output) ? Files.readString(output) : "";
            if (printed.contains(text)) {
                return printed;
            }
            if (!launcher.isAlive()) {
                fail("local-cluster exited with " + launcher.exitValue() + " before '" + text + "':\n" + printed);
            }
            if (System.nanoTime() > deadline) {
                fail("no '" + text + "' within " + limit.toSeconds() + " s:\n" + printed);
            }
            Thread.sleep(100);
        }
    }

    /** A base port whose 3 nodes' ports are all free now (the launcher checks again). */
    private static int freeBase() throws IOException {
        // Below Linux's ephemeral range (32768 up): a port free now could otherwise be taken by any
        // outgoing connection on the machine before the node binds it.
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + STRIDE * ThreadLocalRandom.current().nextInt((32_000 - 20_000) / STRIDE);
            if (allFree(base)) {
                return base;
            }
        }
        throw new IOException("no free run of ports after 50 tries");
    }

    private static boolean allFree(int base) {
        for (int i = 0; i < NODES; i++) {
            for (int p = 0; p < PORTS_PER_NODE; p++) {
                try (ServerSocket s = new ServerSocket(base + i * STRIDE + p, 1, InetAddress.getByName("127.0.0.1"))) {
                    s.getLocalPort();
                } catch (IOException e) {
                    return false;
                }
            }
        }
        return true;
    }
}
