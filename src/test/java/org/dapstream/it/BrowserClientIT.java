package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The browser client (src/main/web) end to end. Its JavaScript is built and unit-tested with
 * node (the committed bundle must be what {@code npm run build} makes of the sources); then the
 * packaged application is started and Debian's headless {@code chromium} opens its demo page at
 * {@code /demo/}: the page completes the secure handshake over the WebSocket transport, gets
 * its ECHO messages back, and exchanges messages of a named cluster with a Java client connected
 * over TCP, each side seeing what the other published. A screenshot of the page is kept under
 * {@code target/browser/}. Last, the browser's handshake time is measured over several streams
 * next to the Java client's over the same WebSocket endpoint ({@code -Ddap.browser.handshakes=N}).
 *
 * <p>node, npm and chromium are taken from {@code PATH} (or {@code -Dchromium=/path}). Without
 * them the test is skipped on a developer machine, and fails under {@code CI=true}:
 * {@code .ci/run} installs Debian's {@code nodejs}, {@code npm} and {@code chromium} where they are missing.
 */
class BrowserClientIT {
    private static final Path WEB = Path.of("src/main/web");
    private static final Path BUNDLE = Path.of("src/main/resources/META-INF/resources/demo/dap-stream.js");
    /** {@code npm ci} downloads the pinned packages on a fresh machine (a few MB). */
    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Handshake (ML-KEM-768, ML-DSA-65 in JavaScript) and page load on a loaded 2-core machine, with room. */
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(10);
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 1000;
    /** The status line's colour once the stream is ready (#11772d in the page's style). */
    private static final int READY_GREEN = 0x11772d;
    private static final String CLUSTER = "demo";
    /** Handshakes measured per client unless -Ddap.browser.handshakes says otherwise. */
    private static final int DEFAULT_HANDSHAKES = 10;

    private static Path npm;
    private static Path target;

    private Process node;
    private Path log;
    private StreamClient client;

    @BeforeAll
    static void installPackages() throws Exception {
        npm = required("npm", "npm").orElse(null);
        required("node", "nodejs");
        Path jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar"));
        target = jar.toAbsolutePath().getParent().getParent();
        Files.createDirectories(target.resolve("browser"));
        run(NPM_TIMEOUT, npm.toString(), "ci", "--no-audit", "--no-fund", "--prefer-offline");
    }

    @AfterEach
    void stopNode() throws Exception {
        if (client != null) {
            client.close();
        }
        if (node != null && node.isAlive()) {
            node.destroy();
            if (!node.waitFor(15, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void committedBundleIsBuiltFromTheSources() throws Exception {
        Path built = target.resolve("browser/dap-stream.js").toAbsolutePath();
        run(Duration.ofMinutes(1), npm.toString(), "run", "build", "--", "--outfile=" + built);
        assertArrayEquals(Files.readAllBytes(BUNDLE), Files.readAllBytes(built),
                BUNDLE + " is not what `npm run build` in " + WEB + " makes of the sources: run it and commit the bundle");
    }

    @Test
    void javascriptUnitTestsPass() throws Exception {
        String out = run(Duration.ofMinutes(2), npm.toString(), "test");
        assertTrue(out.contains("# fail 0"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("# pass [1-9][0-9]+")), "the node tests ran\n" + out);
    }

    @Test
    void pageTalksToAJavaClientThroughTheNode() throws Exception {
        Optional<Path> chromium = Optional.ofNullable(System.getProperty("chromium")).map(Path::of).filter(Files::isExecutable)
                .or(() -> onPath("chromium")).or(() -> onPath("chromium-browser"));
        if (chromium.isEmpty()) {
            missing("chromium not found on PATH: install it (Debian: apt-get install -y chromium; .ci/run does)");
        }
        int streamPort = freePort();
        int httpPort = freePort();
        startNode(streamPort, httpPort, freePort());
        String page = "http://127.0.0.1:" + httpPort + "/demo/";

        client = new StreamClient(ClientOptions.defaults());
        Stream java = client.connect("127.0.0.1", streamPort).get(10, TimeUnit.SECONDS);
        BlockingQueue<String> javaReceived = new LinkedBlockingQueue<>();
        ClusterChannel members = ClusterChannel.open(java, new ClusterChannel.Listener() {
            @Override
            public void message(String cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced) {
                javaReceived.add(cluster + ":" + StandardCharsets.UTF_8.decode(payload));
            }
        }).get(10, TimeUnit.SECONDS);
        members.join(CLUSTER).get(10, TimeUnit.SECONDS);

        Path profile = Files.createTempDirectory("dap-stream-chromium");
        try (HeadlessChromium browser = HeadlessChromium.launch(chromium.get(), profile, WIDTH, HEIGHT)) {
            browser.navigate(page + "?connect");
            browser.waitFor("a ready stream", "document.getElementById('status').dataset.state === 'ready'"
                    + " && !document.getElementById('echo-send').disabled", PAGE_TIMEOUT);
            assertEquals(java.node().toString(), text(browser, "node"), "the page proved the same node as the Java client");
            assertTrue(number(browser, "document.getElementById('handshake').dataset.ms") > 0, "handshake time shown");

            // ECHO: what the page sends comes back and is listed
            type(browser, "echo-text", "hello from chromium");
            click(browser, "echo-send");
            browser.waitFor("the echo", "[...document.querySelectorAll('#echoes li')].some(li => li.textContent === 'echo: hello from chromium')",
                    MESSAGE_TIMEOUT);

            // the page joins the cluster and publishes: the Java member receives it
            type(browser, "cluster-name", CLUSTER);
            click(browser, "cluster-join");
            browser.waitFor("the join", "document.getElementById('cluster-state').dataset.joined === '" + CLUSTER + "'", MESSAGE_TIMEOUT);
            assertEquals("joined demo (2 members)", text(browser, "cluster-state"), "the Java member and the page");
            type(browser, "cluster-text", "published by the page");
            click(browser, "cluster-publish");
            assertEquals(CLUSTER + ":published by the page", javaReceived.poll(MESSAGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                    "the Java client received the page's broadcast; page console: " + browser.console());

            // the Java client publishes: the page lists it, with the origin node and the publisher's sequence number
            members.publish(CLUSTER, "published by the Java client".getBytes(StandardCharsets.UTF_8));
            JsonNode line = browser.waitFor("the Java client's broadcast", "[...document.querySelectorAll('#cluster-messages li')]"
                    + ".map(li => li.textContent).find(t => t.endsWith(': published by the Java client')) ?? ''", MESSAGE_TIMEOUT);
            assertTrue(line.asText().startsWith(CLUSTER + " · " + java.node() + "/"), line.asText());
            assertTrue(line.asText().contains(" #1: "), "the Java client's first broadcast: " + line.asText());
            JsonNode own = browser.evaluate("[...document.querySelectorAll('#cluster-messages li')].map(li => li.textContent)");
            assertTrue(own.toString().contains(": published by the page"), "the page, a member, got its own broadcast too: " + own);

            // live stats: frames both ways and a round trip measured by PING
            browser.waitFor("an RTT", "document.getElementById('rtt').textContent.endsWith(' ms')", MESSAGE_TIMEOUT);
            assertTrue(number(browser, "Number(document.getElementById('frames-in').textContent)") >= 6, "frames in");
            assertTrue(number(browser, "Number(document.getElementById('frames-out').textContent)") >= 6, "frames out");
            assertTrue(number(browser, "Number(document.getElementById('bytes-out').textContent)") > 1264, "bytes out, CLIENT_HELLO included");

            byte[] png = browser.screenshot();
            Path shot = target.resolve("browser/demo.png");
            Files.write(shot, png);
            assertScreenshotShowsAReadyPage(png, shot);

            handshakeFigures(browser, httpPort, number(browser, "Number(document.getElementById('handshake').dataset.ms)"));

            click(browser, "disconnect");
            browser.waitFor("the closed stream", "document.getElementById('status').textContent === 'closed: NORMAL'", MESSAGE_TIMEOUT);
        } finally {
            deleteTree(profile);
        }
    }

    /** The PNG has the window's size, is not blank, and shows the green status of a ready stream. */
    private static void assertScreenshotShowsAReadyPage(byte[] png, Path shot) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(WIDTH, image.getWidth(), "screenshot width, " + shot);
        assertTrue(image.getHeight() > 0, "screenshot height");
        int background = image.getRGB(0, 0) & 0xffffff;
        long differing = 0;
        long green = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                if (rgb != background) {
                    differing++;
                }
                if (rgb == READY_GREEN) {
                    green++;
                }
            }
        }
        long pixels = (long) image.getWidth() * image.getHeight();
        assertTrue(differing > pixels / 20, "the screenshot is not blank: " + differing + " of " + pixels + " pixels differ from the background, " + shot);
        assertTrue(green > 10, "the ready status shows in green: " + green + " pixels, " + shot);
    }

    /**
     * Handshake time from WebSocket open to stream ready in the browser, and from
     * {@code new WebSocket} to ready; the Java client's connect over the same endpoint beside
     * them. Written to target/browser/handshake.txt and the test output.
     */
    private void handshakeFigures(HeadlessChromium browser, int httpPort, double firstMs) throws Exception {
        int runs = Integer.getInteger("dap.browser.handshakes", DEFAULT_HANDSHAKES);
        String url = "ws://127.0.0.1:" + httpPort + "/stream";
        JsonNode browserRuns = browser.evaluate("(async () => { const m = await import('./dap-stream.js'); const out = [];"
                + " for (let i = 0; i < " + runs + "; i++) { const s = await m.connect('" + url + "');"
                + " out.push([s.stats.handshakeMs, s.stats.connectMs]); await s.close(); } return out; })()");
        double[] handshake = new double[runs];
        double[] connect = new double[runs];
        for (int i = 0; i < runs; i++) {
            handshake[i] = browserRuns.get(i).get(0).asDouble();
            connect[i] = browserRuns.get(i).get(1).asDouble();
            assertTrue(handshake[i] > 0 && connect[i] >= handshake[i], "run " + i + ": " + browserRuns.get(i));
        }
        double[] java = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            Stream s = client.connect(URI.create(url)).get(10, TimeUnit.SECONDS);
            java[i] = (System.nanoTime() - start) / 1e6;
            s.close();
            s.closed().get(5, TimeUnit.SECONDS);
        }
        String report = "handshakes over ws://127.0.0.1/stream, " + runs + " each, ms as min / median / max (all runs)\n"
                + String.format(Locale.ROOT, "chromium, the page's first stream (its code not yet compiled), WebSocket open to ready: %.1f%n", firstMs)
                + "chromium, WebSocket open to ready: " + summary(handshake) + "\n"
                + "chromium, new WebSocket to ready: " + summary(connect) + "\n"
                + "Java client, connect(ws://) to ready: " + summary(java) + "\n";
        Files.writeString(target.resolve("browser/handshake.txt"), report);
        System.out.print(report);
    }

    private static String summary(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f (%s)", sorted[0], sorted[sorted.length / 2], sorted[sorted.length - 1],
                Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.1f", v)).collect(Collectors.joining(" ")));
    }

    private static String text(HeadlessChromium browser, String id) throws Exception {
        return browser.evaluate("document.getElementById('" + id + "').textContent").asText();
    }

    private static double number(HeadlessChromium browser, String expression) throws Exception {
        return browser.evaluate(expression).asDouble();
    }

    private static void type(HeadlessChromium browser, String id, String value) throws Exception {
        browser.evaluate("document.getElementById('" + id + "').value = " + quoted(value));
    }

    private static void click(HeadlessChromium browser, String id) throws Exception {
        browser.evaluate("document.getElementById('" + id + "').click()");
    }

    private static String quoted(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private void startNode(int streamPort, int httpPort, int managementPort) throws Exception {
        Path jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " is missing: BrowserClientIT runs after package (./mvnw verify)");
        log = Files.createTempFile("dap-stream-browser-it", ".log");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        node = new ProcessBuilder(javaBin,
                "-Ddap.stream.tcp.host=127.0.0.1",
                "-Ddap.stream.security.identity.file=" + log.resolveSibling("browser-it-identity.pem"),
                "-Ddap.stream.tcp.port=" + streamPort,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-jar", jar.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        while (!listening(streamPort) || status(http, "http://127.0.0.1:" + httpPort + "/demo/") != 200) {
            if (!node.isAlive()) {
                fail("the application exited with " + node.exitValue() + " during start-up\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                fail("the node did not serve /demo/ within " + START_TIMEOUT + "\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    private static int status(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs a command in src/main/web; fails with its output unless it exits 0 in time. Returns the output. */
    private static String run(Duration timeout, String... command) throws Exception {
        Path out = Files.createTempFile("dap-stream-web", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(WEB.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " took over " + timeout + "\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            assertEquals(0, p.exitValue(), String.join(" ", command) + " failed\n" + output);
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Optional<Path> required(String name, String debianPackage) {
        Optional<Path> found = onPath(name);
        if (found.isEmpty()) {
            missing(name + " not found on PATH: install it (Debian: apt-get install -y " + debianPackage + "; .ci/run does)");
        }
        return found;
    }

    private static void missing(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + "; under CI=true the browser client must be tested, not skipped");
        }
        Assumptions.abort(why);
    }

    private static Optional<Path> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Optional.of(Path.of(dir, name));
            }
        }
        return Optional.empty();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(paths::add);
        }
        for (int i = paths.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(paths.get(i));
        }
    }
}
