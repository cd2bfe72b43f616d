package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The examples as a user builds and runs them. The client artifact ({@code client/pom.xml})
 * and the service jar just packaged are installed into a throwaway local repository under
 * {@code target/} (reading everything else from the build's own local repository, Maven's
 * {@code maven.repo.local.tail}), a copy of {@code examples/} is built there with the
 * project's {@code ./mvnw} (the channel-service example's own test starts its Quarkus
 * application and opens its channel type), and the plain-Java and cluster examples run as
 * processes against two member nodes of the packaged application on 127.0.0.1 (free ports,
 * {@link ClusterProcesses}): the subscriber on one node receives what the publisher on the other
 * publishes. Every wait is bounded. Offline when the build is ({@code -o}).
 *
 * <p>Run only this class (it needs the packaged jar):
 * <pre>
 * ./mvnw -B -ntp -o verify -Dit.test=ExamplesIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * It takes about 2 minutes on two cores, more when other builds share them; most of it is the
 * examples' build (the Quarkus example's augmentation and test) and the client's compilation.
 */
class ExamplesIT {
    /** One Maven run: a cold CI machine downloads the examples' plugins on the first. */
    private static final Duration MAVEN_TIMEOUT = Duration.ofMinutes(5);
    /** One example process, connecting, running and closing; each of its own waits is 30 s at most. */
    private static final Duration EXAMPLE_TIMEOUT = Duration.ofSeconds(90);
    /** The subscriber prints its "joined" line within this after it starts. */
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);
    /** How long the two nodes may take to link after both answer. */
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);
    private static final String CLUSTER = "prices";
    private static final int PUBLISHED = 5;
    private static final int LOG_TAIL_CHARS = 6_000;

    private final List<Process> examples = new ArrayList<>();
    private ClusterProcesses nodes;

    @AfterEach
    void stop() throws Exception {
        for (Process p : examples) {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void examplesBuildAndRunAgainstRealNodes() throws Exception {
        long start = System.nanoTime();
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path serviceJar = Path.of(System.getProperty("dap.service.jar", "target/dap-stream-" + version() + ".jar")).toAbsolutePath();
        if (!Files.isRegularFile(serviceJar)) {
            throw new IllegalStateException(serviceJar + " is missing: ExamplesIT runs after package");
        }
        // The nodes start while the examples build: their start-up overlaps the Maven runs.
        nodes = new ClusterProcesses(2, "examples-it");
        nodes.launchAll();
        Path work = nodes.dir;
        Path repository = work.resolve("repository");

        maven(root, work.resolve("install.log"), List.of("-f", root.resolve("client/pom.xml").toString(), "install",
                "org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file",
                "-Dfile=" + serviceJar, "-DpomFile=" + root.resolve("pom.xml"),
                "-Ddap.client.build.dir=" + work.resolve("client-build")), repository);
        Path examplesCopy = copyExamples(root.resolve("examples"), work.resolve("examples"));
        maven(root, work.resolve("examples-build.log"), List.of("-f", examplesCopy.resolve("pom.xml").toString(), "package",
                "-Ddap-stream.version=" + version()), repository);
        String built = Files.readString(work.resolve("examples-build.log"));
        assertTrue(built.contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), "the channel-service example's test ran\n" + tail(built));
        long builtMillis = millisSince(start);

        ClusterProcesses.Node first = nodes.nodes.get(0);
        ClusterProcesses.Node second = nodes.nodes.get(1);
        nodes.awaitUp(first);
        nodes.awaitUp(second);
        nodes.awaitFormed(n -> true, 2, FORM_TIMEOUT);

        String plain = run(examplesCopy.resolve("plain-client/target/plain-client.jar"), work.resolve("plain-client.log"),
                "127.0.0.1", String.valueOf(first.streamPort));
        for (String line : List.of("connected to node ", "echo: hello", "back-pressure: 2000 messages of 16384 bytes echoed in order",
                "pulled: message 0", "pulled: message 9", "pull mode: read 10 messages", "stream closed: NORMAL")) {
            assertTrue(plain.contains(line), "the plain client example printed \"" + line + "\"\n" + plain);
        }

        Path pubsub = examplesCopy.resolve("cluster-pubsub/target/cluster-pubsub.jar");
        Path subscriberLog = work.resolve("subscriber.log");
        Process subscriber = launch(pubsub, subscriberLog, "subscribe", "127.0.0.1:" + first.streamPort, CLUSTER, String.valueOf(PUBLISHED));
        awaitLine(subscriber, subscriberLog, "joined " + CLUSTER);
        String publisher = run(pubsub, work.resolve("publisher.log"), "publish", "127.0.0.1:" + second.streamPort, CLUSTER,
                String.valueOf(PUBLISHED));
        assertTrue(publisher.contains("published " + PUBLISHED + " messages"), publisher);
        String subscribed = finish(subscriber, subscriberLog);
        Matcher publisherNode = Pattern.compile("publishing to " + CLUSTER + " on node (\\S+) ").matcher(publisher);
        assertTrue(publisherNode.find(), publisher);
        Matcher subscriberNode = Pattern.compile("joined " + CLUSTER + " on node (\\S+) ").matcher(subscribed);
        assertTrue(subscriberNode.find(), subscribed);
        assertTrue(!publisherNode.group(1).equals(subscriberNode.group(1)), "publisher and subscriber on two nodes");
        for (int i = 1; i <= PUBLISHED; i++) {
            // from the publisher's node: the message crossed the link between the nodes
            String line = CLUSTER + " #" + i + " from " + publisherNode.group(1) + "/";
            assertTrue(subscribed.contains(line) && subscribed.contains(": price " + i + "\n"),
                    "the subscriber printed message " + i + " (" + line + "...)\n" + subscribed);
        }
        assertTrue(subscribed.contains("received " + PUBLISHED + " messages"), subscribed);
        System.out.printf("ExamplesIT: built in %d ms, all done in %d ms%n", builtMillis, millisSince(start));
        // Passed: the logs stay, the builds (about 80 MB of copied jars) go.
        for (Path output : List.of(examplesCopy, repository, work.resolve("client-build"))) {
            delete(output);
        }
    }

    private static void delete(Path tree) throws IOException {
        try (Stream<Path> files = Files.walk(tree)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }

    private static String version() {
        return System.getProperty("dap.project.version", "0.1.0-SNAPSHOT");
    }

    /**
     * The project's {@code ./mvnw} with a local repository of its own whose tail is the build's
     * (read-only: what this build resolved is not downloaded again, and nothing is installed into it).
     */
    private static void maven(Path root, Path log, List<String> arguments, Path repository) throws Exception {
        List<String> command = new ArrayList<>(List.of(root.resolve("mvnw").toString(), "-B", "-ntp"));
        if ("offline=true".equals(System.getProperty("dap.maven.mode"))) {
            command.add("-o");
        }
        command.add("-Dmaven.repo.local=" + repository);
        String tail = System.getProperty("dap.maven.repo.local", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        command.add("-Dmaven.repo.local.tail=" + tail);
        command.addAll(arguments);
        Process p = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(MAVEN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("Maven did not finish within " + MAVEN_TIMEOUT + ": " + command + "\n" + tail(Files.readString(log)));
        }
        String output = read(log);
        assertEquals(0, p.exitValue(), () -> "Maven failed: " + command + "\n" + tail(output));
    }

    /** Copies the examples without build output, so the build here is the one a user makes from the sources. */
    private static Path copyExamples(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(f);
                boolean output = false;
                for (Path name : relative) {
                    output |= name.toString().equals("target");
                }
                if (output || relative.toString().endsWith(".pem")) {
                    continue;
                }
                Path copy = to.resolve(relative.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(f, copy, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return to;
    }

    private Process launch(Path jar, Path log, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                ClusterProcesses.HEAP, "-jar", jar.toString()));
        command.addAll(List.of(arguments));
        Process p = new ProcessBuilder(command).directory(log.getParent().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        examples.add(p);
        return p;
    }

    /** Runs an example to its end; its output, which must come with exit status 0. */
    private String run(Path jar, Path log, String... arguments) throws Exception {
        return finish(launch(jar, log, arguments), log);
    }

    private static String finish(Process p, Path log) throws Exception {
        if (!p.waitFor(EXAMPLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the example did not end within " + EXAMPLE_TIMEOUT + "\n" + read(log));
        }
        String output = read(log);
        assertEquals(0, p.exitValue(), () -> "the example's exit status\n" + output);
        return output;
    }

    private static void awaitLine(Process p, Path log, String text) throws Exception {
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        while (!read(log).contains(text)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + text + "\" from the example (alive: " + p.isAlive() + ")\n" + read(log));
            }
            Thread.sleep(50);
        }
    }

    private static String read(Path log) throws IOException {
        return Files.isRegularFile(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static String tail(String text) {
        return text.substring(Math.max(0, text.length() - LOG_TAIL_CHARS));
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
