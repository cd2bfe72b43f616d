package org.dapstream.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * {@code local-cluster [--nodes N] [--base-port P] [--dir DIR]}: a cluster of N member nodes
 * of this application on 127.0.0.1, to try clustering without Kubernetes. It generates a
 * cluster key (and each node's identity) in DIR, starts one child JVM of the same jar per node
 * with static discovery listing every member, prints where each node is, waits until every
 * node shows a link to every other one (through its admin API), and stops them all on Ctrl-C.
 */
@Command(name = "local-cluster", mixinStandardHelpOptions = true,
        description = {"Starts member nodes on 127.0.0.1 as one cluster, to try clustering; Ctrl-C stops them.",
            "Static discovery and a generated cluster key; it prints where each node is. Run it from the packaged jar."})
public final class LocalCluster implements Callable<Integer> {
    /** Exit status: the options are wrong; the message says what to fix. */
    public static final int EXIT_USAGE = Commands.EXIT_USAGE;
    /** Exit status: the cluster could not start (a port taken, a node that did not come up) or its nodes exited. */
    public static final int EXIT_FAILED = Commands.EXIT_FAILED;

    public static final int DEFAULT_NODES = 3;
    /** Enough for every pairing a laptop shows; each node is a JVM of its own. */
    public static final int MAX_NODES = 9;
    public static final int DEFAULT_BASE_PORT = 18070;
    /** Ports of node {@code i} start at base + {@code i * PORT_STRIDE}: client, HTTP, management, cluster. */
    static final int PORT_STRIDE = 10;
    static final int CLIENT_OFFSET = 0;
    static final int HTTP_OFFSET = 1;
    static final int MANAGEMENT_OFFSET = 2;
    static final int CLUSTER_OFFSET = 3;
    static final int LOWEST_BASE_PORT = 1024;
    /** How long one node may take to start (the nodes start at once and share the machine's cores). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** How long the links may take to come up once every node answers. */
    static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);
    /** A short drain, so that Ctrl-C is quick: local clients are told GOAWAY and have this long. */
    static final Duration NODE_GRACE = Duration.ofSeconds(2);
    /** After SIGTERM: how long the nodes have to drain and exit before they are killed. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    static final Duration POLL = Duration.ofMillis(100);
    static final Duration HTTP_TIMEOUT = Duration.ofSeconds(2);
    static final int ADMIN_TOKEN_BYTES = 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", paramLabel = "N", description = "members, 1.." + MAX_NODES + " (default " + DEFAULT_NODES + ")")
    int nodes = DEFAULT_NODES;

    @Option(names = "--base-port", paramLabel = "P",
            description = {"node i listens on P+10i (client streams), P+10i+1 (HTTP), P+10i+2 (management: health, metrics, /admin)",
                "and P+10i+3 (cluster links); default " + DEFAULT_BASE_PORT})
    int basePort = DEFAULT_BASE_PORT;

    @Option(names = "--dir", paramLabel = "DIR",
            description = {"the cluster key, node identities, admin token and logs (default: a new temporary directory);",
                "run again with the same DIR to keep the nodes' addresses"})
    String dir;

    private final PrintStream out;
    private final PrintStream err;

    public LocalCluster() {
        this(System.out, System.err);
    }

    public LocalCluster(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** One child node: its ports and files. */
    record Node(int index, int clientPort, int httpPort, int managementPort, int clusterPort, Path identity, Path log, String address) {
        String adminUrl() {
            return "http://127.0.0.1:" + managementPort + "/admin/cluster";
        }

        String clusterEndpoint() {
            return "127.0.0.1:" + clusterPort;
        }
    }

    /** Runs {@code local-cluster} with the arguments after the word; returns the exit status (on Ctrl-C the JVM exits instead). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Commands.execute(new LocalCluster(out, err), out, err, args);
    }

    @Override
    public Integer call() {
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new ParameterException(spec.commandLine(), "--nodes must be 1.." + MAX_NODES + ", got " + nodes);
        }
        if (basePort < LOWEST_BASE_PORT || basePort + PORT_STRIDE * MAX_NODES > 65535) {
            throw new ParameterException(spec.commandLine(), "--base-port must be " + LOWEST_BASE_PORT + ".."
                    + (65535 - PORT_STRIDE * MAX_NODES) + ", got " + basePort);
        }
        if (dir != null && dir.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--dir needs a directory, got '" + dir + "'");
        }
        Path jar = applicationJar();
        if (jar == null) {
            err.println("local-cluster: run it from the packaged application: java -jar target/quarkus-app/quarkus-run.jar local-cluster");
            return EXIT_FAILED;
        }
        try {
            return start(nodes, basePort, dir == null ? null : Path.of(dir), jar, out, err);
        } catch (IOException e) {
            err.println("local-cluster: " + e.getMessage());
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_FAILED;
        }
    }

    private static int start(int count, int basePort, Path chosenDir, Path jar, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        for (int i = 0; i < count; i++) {
            for (int offset : new int[] {CLIENT_OFFSET, HTTP_OFFSET, MANAGEMENT_OFFSET, CLUSTER_OFFSET}) {
                int port = basePort + i * PORT_STRIDE + offset;
                if (!free(port)) {
                    err.println("local-cluster: port " + port + " on 127.0.0.1 is in use (node " + i + "); choose another --base-port");
                    return EXIT_FAILED;
                }
            }
        }
        Path dir = chosenDir != null ? Files.createDirectories(chosenDir) : Files.createTempDirectory("dap-local-cluster");
        SecureRandom random = new SecureRandom();
        Path clusterKey = dir.resolve("cluster-key.pem");
        boolean newKey = !Files.exists(clusterKey);
        try (NodeIdentity key = IdentityFile.loadOrCreate(clusterKey, SignatureAlgorithm.ML_DSA_65, random)) {
            out.println((newKey ? "generated" : "reusing") + " cluster key " + clusterKey + " (" + key.algorithm().configName() + ")");
        }
        String token = HexFormat.of().formatHex(random.generateSeed(ADMIN_TOKEN_BYTES));
        Files.writeString(dir.resolve("admin-token"), token + "\n", StandardCharsets.UTF_8);

        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int base = basePort + i * PORT_STRIDE;
            Path identity = dir.resolve("node" + i + "-identity.pem");
            String address;
            try (NodeIdentity id = IdentityFile.loadOrCreate(identity, SignatureAlgorithm.ML_DSA_65, random)) {
                address = id.address().toString();
            }
            nodes.add(new Node(i, base + CLIENT_OFFSET, base + HTTP_OFFSET, base + MANAGEMENT_OFFSET, base + CLUSTER_OFFSET, identity,
                    dir.resolve("node" + i + ".log"), address));
        }
        String members = nodes.stream().map(Node::clusterEndpoint).collect(Collectors.joining(","));
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());

        List<Process> processes = new ArrayList<>();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread stopper = new Thread(() -> {
            stopping.set(true);
            stopAll(processes, out);
        }, "local-cluster-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        long launched = System.nanoTime();
        for (Node n : nodes) {
            List<String> command = List.of(java,
                    "-Ddap.stream.tcp.host=127.0.0.1",
                    "-Ddap.stream.tcp.port=" + n.clientPort(),
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + n.httpPort(),
                    "-Dquarkus.management.host=127.0.0.1",
                    "-Dquarkus.management.port=" + n.managementPort(),
                    "-Ddap.stream.security.identity.file=" + n.identity(),
                    "-Ddap.stream.security.cluster.key-file=" + clusterKey,
                    "-Ddap.stream.cluster.discovery=static",
                    "-Ddap.stream.cluster.members=" + members,
                    "-Ddap.stream.cluster.port=" + n.clusterPort(),
                    "-Ddap.stream.cluster.advertise-host=127.0.0.1",
                    "-Ddap.stream.drain.grace-period=" + NODE_GRACE.toMillis() + "ms",
                    "-Ddap.stream.admin.token=" + token,
                    "-jar", jar.toString());
            synchronized (processes) {
                processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(n.log().toFile()).start());
            }
        }
        out.println("started " + count + " nodes of " + jar + " on 127.0.0.1 (files in " + dir + "):");
        for (Node n : nodes) {
            out.println("node" + n.index() + "  client 127.0.0.1:" + n.clientPort() + "  admin " + n.adminUrl() + "  cluster "
                    + n.clusterEndpoint() + "  address " + n.address() + "  log " + n.log());
        }
        out.println("admin token: " + token + "  (also in " + dir.resolve("admin-token") + ")");
        out.println("  curl -H 'Authorization: Bearer " + token + "' " + nodes.get(0).adminUrl());

        int formed = awaitFormed(nodes, processes, token, launched, out, err);
        if (formed != 0) {
            return formed;
        }
        out.println("Ctrl-C stops every node");
        out.flush();
        // In the foreground until Ctrl-C (the shutdown hook stops the nodes) or until every node is gone.
        for (Process p : List.copyOf(processes)) {
            p.waitFor();
        }
        if (!stopping.get()) {
            err.println("local-cluster: every node exited; see the logs in " + dir);
        }
        return EXIT_FAILED;
    }

    /** Waits until every node's admin API shows a link to each other node; 0, or the exit status on failure. */
    private static int awaitFormed(List<Node> nodes, List<Process> processes, String token, long launched, PrintStream out,
                                   PrintStream err) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(HTTP_TIMEOUT).build();
        long startDeadline = System.nanoTime() + START_TIMEOUT.toNanos();
        long formDeadline = Long.MAX_VALUE;
        while (true) {
            for (int i = 0; i < nodes.size(); i++) {
                Process p = processes.get(i);
                if (!p.isAlive()) {
                    err.println("local-cluster: node" + i + " exited with status " + p.exitValue() + " while starting; see " + nodes.get(i).log());
                    return EXIT_FAILED;
                }
            }
            int up = 0;
            int linked = 0;
            for (Node n : nodes) {
                JsonObject view = view(http, n, token);
                if (view != null) {
                    up++;
                    JsonArray links = view.getJsonArray("links");
                    if (links != null && links.size() == nodes.size() - 1) {
                        linked++;
                    }
                }
            }
            long now = System.nanoTime();
            if (linked == nodes.size()) {
                out.println("cluster formed: every node linked to the other " + (nodes.size() - 1) + " ("
                        + TimeUnit.NANOSECONDS.toMillis(now - launched) + " ms after launch)");
                return 0;
            }
            if (up == nodes.size() && formDeadline == Long.MAX_VALUE) {
                formDeadline = now + FORM_TIMEOUT.toNanos();
            }
            if (now > startDeadline && up < nodes.size()) {
                err.println("local-cluster: only " + up + " of " + nodes.size() + " nodes answered within " + START_TIMEOUT.toSeconds()
                        + " s; see their logs");
                return EXIT_FAILED;
            }
            if (now > formDeadline) {
                err.println("local-cluster: the nodes are up but not all linked after " + FORM_TIMEOUT.toSeconds()
                        + " s; see their logs and GET /admin/cluster (members[].problem)");
                return EXIT_FAILED;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** A node's {@code /admin/cluster}, or null while it does not answer. */
    private static JsonObject view(HttpClient http, Node n, String token) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(n.adminUrl())).header("Authorization", "Bearer " + token)
                    .timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
        } catch (IOException | RuntimeException e) {
            return null; // not up yet, or not JSON yet
        }
    }

    /** SIGTERM to every node (they drain briefly), SIGKILL to any still running after {@link #STOP_TIMEOUT}. */
    private static void stopAll(List<Process> processes, PrintStream out) {
        List<Process> all;
        synchronized (processes) {
            all = List.copyOf(processes);
        }
        if (all.stream().noneMatch(Process::isAlive)) {
            return;
        }
        out.println("stopping " + all.size() + " nodes");
        all.forEach(Process::destroy);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (Process p : all) {
            try {
                if (!p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        out.println("stopped");
        out.flush();
    }

    /**
     * The jar this JVM runs ({@code java -jar quarkus-run.jar}): the class path is that one file.
     * Null when not run from a jar (an IDE, the tests), where there is nothing to start.
     */
    static Path applicationJar() {
        String cp = System.getProperty("java.class.path", "");
        if (cp.isEmpty() || cp.contains(File.pathSeparator) || !cp.endsWith(".jar")) {
            return null;
        }
        Path jar = Path.of(cp).toAbsolutePath();
        return Files.isRegularFile(jar) ? jar : null;
    }

    private static boolean free(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) HTTP_TIMEOUT.toMillis());
            return false; // something answers there
        } catch (IOException e) {
            // nobody listening: can this process bind it?
        }
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
