package org.dapstream.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Member nodes as real processes of the packaged application on 127.0.0.1: each with its own
 * free stream, HTTP, management and cluster ports and its own identity file, all with one
 * cluster key, static discovery listing every member's cluster endpoint, a short keepalive
 * (so a crashed member is found within {@link #KEEPALIVE_TIMEOUT}) and the admin token, so
 * that {@code GET /admin/cluster} shows each node's view. Every wait is bounded.
 */
final class ClusterProcesses implements AutoCloseable {
    static final Duration KEEPALIVE_INTERVAL = Duration.ofMillis(300);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(1);
    /** Start-up of the packaged jar with two others starting beside it on a loaded 2-core machine, with room to spare. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /** A SIGTERM'd node drains this long at most (no client stays), then the process must be gone. */
    static final Duration GRACE = Duration.ofSeconds(1);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    /** Heap of each node: three JVMs share the machine with the test's own. */
    static final String HEAP = "-Xmx256m";
    static final String ADMIN_TOKEN = "cluster-it-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
    /** How often the admin API is asked while waiting: often enough to time a change, not so often the nodes serve little else. */
    static final Duration POLL = Duration.ofMillis(25);
    private static final int LOG_TAIL_CHARS = 6_000;

    /** One member node: its ports and files stay the same across restarts. */
    static final class Node {
        final int index;
        final int streamPort;
        final int httpPort;
        final int managementPort;
        final int clusterPort;
        final Path identity;
        final Path log;
        Process process;
        long launchedNanos;

        Node(int index, int streamPort, int httpPort, int managementPort, int clusterPort, Path identity, Path log) {
            this.index = index;
            this.streamPort = streamPort;
            this.httpPort = httpPort;
            this.managementPort = managementPort;
            this.clusterPort = clusterPort;
            this.identity = identity;
            this.log = log;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        String clusterEndpoint() {
            return "127.0.0.1:" + clusterPort;
        }

        @Override
        public String toString() {
            return "node" + index + "(client " + streamPort + ", cluster " + clusterPort + ", management " + managementPort + ")";
        }
    }

    final Path dir;
    final Path clusterKey;
    final List<Node> nodes = new ArrayList<>();
    private final Path jar;
    private final Map<String, String> extra = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** Reserves ports and files for {@code n} members under {@code target/<name>-<time>/} and writes the cluster key. */
    ClusterProcesses(int n, String name) throws IOException {
        jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the cluster process tests run after package (see ClusterProcessIT)");
        }
        Path target = jar.getParent().getParent();
        dir = Files.createDirectories(target.resolve(name + "-" + System.currentTimeMillis()));
        clusterKey = dir.resolve("cluster-key.pem");
        try (NodeIdentity key = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, new SecureRandom())) {
            IdentityFile.write(key, clusterKey);
        }
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < n; i++) {
            nodes.add(new Node(i, freePort(taken), freePort(taken), freePort(taken), freePort(taken),
                    dir.resolve("node" + i + "-identity.pem"), dir.resolve("node" + i + ".log")));
        }
    }

    /** An extra {@code -Dkey=value} for every node started from now on. */
    ClusterProcesses with(String key, String value) {
        extra.put(key, value);
        return this;
    }

    /** Launches every node at once (without waiting). */
    void launchAll() throws IOException {
        for (Node node : nodes) {
            launch(node);
        }
    }

    /** Launches {@code node} (again: same ports, same identity file), appending to its log. */
    void launch(Node node) throws IOException {
        String members = nodes.stream().map(Node::clusterEndpoint).collect(Collectors.joining(","));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, HEAP,
                "-Ddap.stream.tcp.host=127.0.0.1",
                "-Ddap.stream.tcp.port=" + node.streamPort,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + node.httpPort,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + node.managementPort,
                "-Ddap.stream.security.identity.file=" + node.identity,
                "-Ddap.stream.security.cluster.key-file=" + clusterKey,
                "-Ddap.stream.cluster.discovery=static",
                "-Ddap.stream.cluster.members=" + members,
                "-Ddap.stream.cluster.port=" + node.clusterPort,
                "-Ddap.stream.cluster.host=127.0.0.1",
                "-Ddap.stream.cluster.advertise-host=127.0.0.1",
                "-Ddap.stream.keepalive.interval=" + KEEPALIVE_INTERVAL.toMillis() + "ms",
                "-Ddap.stream.keepalive.timeout=" + KEEPALIVE_TIMEOUT.toMillis() + "ms",
                "-Ddap.stream.cluster.link.keepalive-interval=" + KEEPALIVE_INTERVAL.toMillis() + "ms",
                "-Ddap.stream.cluster.link.keepalive-timeout=" + KEEPALIVE_TIMEOUT.toMillis() + "ms",
                "-Ddap.stream.drain.grace-period=" + GRACE.toMillis() + "ms",
                "-Ddap.stream.drain.close-timeout=500ms",
                "-Ddap.stream.admin.token=" + ADMIN_TOKEN));
        extra.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toString()));
        Files.writeString(node.log, "==== launch " + Instant.now() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        node.launchedNanos = System.nanoTime();
        node.process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile())).start();
    }

    /** Waits until {@code node}'s admin API answers (its stream endpoint and cluster port are bound before that). */
    void awaitUp(Node node) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!node.alive()) {
                throw new AssertionError(node + " exited with " + node.process.exitValue() + " during start-up\n" + tail(node));
            }
            if (adminStatus(node) == 200) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(node + " did not answer /admin/cluster within " + START_TIMEOUT + "\n" + tail(node));
            }
            Thread.sleep(50);
        }
    }

    /** {@code GET /admin/cluster} of {@code node}. */
    JsonObject admin(Node node) {
        try {
            HttpResponse<String> r = http.send(adminRequest(node), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError(node + ": /admin/cluster answered " + r.statusCode() + ": " + r.body());
            }
            return new JsonObject(r.body());
        } catch (IOException e) {
            throw new AssertionError(node + ": /admin/cluster: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The lines of a node's Prometheus metrics that start with {@code prefix}. */
    List<String> metrics(Node node, String prefix) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort + "/q/metrics"))
                .timeout(HTTP_TIMEOUT).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body().lines().filter(l -> l.startsWith(prefix)).toList();
        } catch (IOException e) {
            throw new AssertionError(node + ": /q/metrics: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** GET {@code path} of a node's admin API (e.g. {@code /admin/node}), as JSON. */
    JsonObject admin(Node node, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).timeout(HTTP_TIMEOUT).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError(node + ": " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return new JsonObject(r.body());
        } catch (IOException e) {
            throw new AssertionError(node + ": " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private int adminStatus(Node node) {
        try {
            return http.send(adminRequest(node), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpRequest adminRequest(Node node) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort + "/admin/cluster"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).timeout(HTTP_TIMEOUT).build();
    }

    /**
     * True when {@code view} (one node's /admin/cluster) shows the cluster of {@code expected}
     * members formed: that many members, one of them itself, a link up to each of the others.
     */
    static boolean formed(JsonObject view, int expected) {
        JsonArray members = view.getJsonArray("members");
        JsonArray links = view.getJsonArray("links");
        if (members == null || links == null || members.size() != expected || links.size() != expected - 1) {
            return false;
        }
        long self = members.stream().filter(m -> "SELF".equals(((JsonObject) m).getString("link"))).count();
        long up = members.stream().filter(m -> "UP".equals(((JsonObject) m).getString("link"))).count();
        return self == 1 && up == expected - 1;
    }

    /** Every live node's view, in node order. */
    List<JsonObject> views(Predicate<Node> which) {
        return nodes.stream().filter(which).map(this::admin).toList();
    }

    /** Waits until every node in {@code which} shows the cluster of {@code expected} formed; returns the views then. */
    List<JsonObject> awaitFormed(Predicate<Node> which, int expected, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        List<JsonObject> views = List.of();
        while (System.nanoTime() < deadline) {
            for (Node n : nodes) {
                if (which.test(n) && !n.alive()) {
                    throw new AssertionError(n + " exited with " + n.process.exitValue() + "\n" + tail(n));
                }
            }
            views = views(which);
            if (views.stream().allMatch(v -> formed(v, expected))) {
                return views;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError("the cluster of " + expected + " did not form within " + limit.toMillis() + " ms; views:\n"
                + views.stream().map(JsonObject::encodePrettily).collect(Collectors.joining("\n"))
                + "\n" + nodes.stream().map(ClusterProcesses::tail).collect(Collectors.joining("\n")));
    }

    /** kill -9. */
    void kill(Node node) throws InterruptedException {
        node.process.destroyForcibly();
        if (!node.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError(node + " still running " + STOP_TIMEOUT + " after SIGKILL");
        }
    }

    /** SIGTERM, then SIGKILL as the last resort. */
    void stop(Node node) throws InterruptedException {
        if (node.process == null) {
            return;
        }
        node.process.destroy();
        if (!node.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            node.process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The end of a node's log, for a failure message. */
    static String tail(Node node) {
        try {
            String text = Files.readString(node.log);
            return "---- " + node + " " + node.log + " (tail)\n" + text.substring(Math.max(0, text.length() - LOG_TAIL_CHARS));
        } catch (IOException e) {
            return "---- " + node + ": no log (" + e + ")";
        }
    }

    String log(Node node) throws IOException {
        return Files.readString(node.log);
    }

    /** Stops every node: SIGTERM to all at once, then waits, SIGKILL for any still running. */
    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes) {
            if (n.alive()) {
                n.process.destroy();
            }
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (Node n : nodes) {
            if (n.process != null) {
                long left = Math.max(1, deadline - System.nanoTime());
                if (!n.process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    n.process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
            }
        }
    }

    /** A free port on 127.0.0.1 not handed out before by this harness. */
    static int freePort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                if (taken.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IOException("no free port after 100 tries");
    }
}
