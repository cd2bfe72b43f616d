package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The graceful drain against a real process: the packaged application is started with
 * {@code java -jar}, a client sends numbered messages on an ECHO channel, and the process gets
 * SIGTERM ({@link Process#destroy()}) while the client is sending. The client must be told
 * GOAWAY, get back every message it wrote before that, see new connections refused; a second,
 * idle stream that never closes must be closed by the node with GOING_AWAY when the grace
 * period is over; and the process must exit with status 0 right after.
 */
class DrainIT {
    private static final Duration GRACE = Duration.ofSeconds(6);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
    /** Start-up of the packaged jar on a loaded 2-core machine, with room to spare. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SENDING_BEFORE_SIGTERM = Duration.ofMillis(500);
    /** How long a scrape may take to show the drain gauge after start-up. */
    private static final Duration SCRAPE_PATIENCE = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private Path log;
    private StreamClient client;

    @AfterEach
    void cleanUp() throws Exception {
        if (client != null) {
            client.close();
        }
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void sigtermDrainsWithoutLosingAMessage() throws Exception {
        int streamPort = freePort();
        int httpPort = freePort();
        int managementPort = freePort();
        start(streamPort, httpPort, managementPort);
        Optional<Integer> healthPort = portServing("/q/health/ready", httpPort, managementPort);
        healthPort.ifPresent(p -> assertEquals(200, status(p, "/q/health/ready"), "ready before the drain"));
        int metricsPort = portServing("/q/metrics", httpPort, managementPort).orElseThrow(() -> new AssertionError("no /q/metrics"));
        String before = scrapeUntil(metricsPort, "dap_stream_draining 0.0");
        assertTrue(before.contains("dap_stream_draining 0.0"), () -> "not draining before SIGTERM; the scrape's draining lines: "
                + before.lines().filter(l -> l.contains("draining")).toList() + " (" + before.length() + " chars)");

        client = new StreamClient(ClientOptions.defaults());
        Stream sender = client.connect("127.0.0.1", streamPort).get(10, TimeUnit.SECONDS);
        Stream idle = client.connect("127.0.0.1", streamPort).get(10, TimeUnit.SECONDS);
        NumberedEchoes echoes = new NumberedEchoes();
        Channel echo = sender.openChannel(ChannelType.ECHO, echoes).get(10, TimeUnit.SECONDS);
        CompletableFuture<Long> written = CompletableFuture.supplyAsync(() -> sendUntilGoAway(sender, echo, echoes));

        Thread.sleep(SENDING_BEFORE_SIGTERM.toMillis());
        assertTrue(echoes.count() > 0, "echoes flow before SIGTERM");
        long sigterm = System.nanoTime();
        process.destroy(); // SIGTERM

        ControlMessage.GoAway goAway = sender.goingAway().get(5, TimeUnit.SECONDS);
        assertEquals(GRACE.toMillis(), goAway.graceMillis(), "GOAWAY announces the configured grace period");
        assertEquals("node draining", goAway.reason());
        assertEquals(goAway, idle.goingAway().get(5, TimeUnit.SECONDS), "every stream is told");
        long count = written.get(5, TimeUnit.SECONDS);
        assertTrue(count > 0, "the client wrote before GOAWAY");

        // While draining: readiness DOWN (when the health endpoint exists), the gauge at 1,
        // and a new connection refused with GOING_AWAY.
        if (healthPort.isPresent()) {
            assertEquals(503, status(healthPort.get(), "/q/health/ready"), "readiness while draining");
        }
        assertTrue(scrape(metricsPort).contains("dap_stream_draining 1.0"), "dap_stream_draining while draining");
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> client.connect("127.0.0.1", streamPort).get(5, TimeUnit.SECONDS));
        StreamException cause = assertInstanceOf(StreamException.class, refused.getCause());
        assertEquals(ErrorCode.GOING_AWAY, cause.reason().errorCode(), "a new stream while draining");

        // Every message written before GOAWAY comes back, in order; then the sender leaves.
        echoes.awaitCount(count, GRACE);
        assertNull(echoes.error.get(), "echoes in order");
        assertEquals(count, echoes.count(), "messages echoed (" + count + " written)");
        sender.close();
        assertEquals(ErrorCode.NORMAL, sender.closed().get(5, TimeUnit.SECONDS).errorCode());

        // The idle stream never closes itself: the node closes it when the grace period is over.
        CloseReason idleEnd = idle.closed().get(GRACE.plus(CLOSE_TIMEOUT).toSeconds() + 5, TimeUnit.SECONDS);
        long idleClosedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm);
        assertEquals(ErrorCode.GOING_AWAY, idleEnd.errorCode(), "idle stream at the end of the grace period: " + idleEnd);
        assertTrue(idleClosedAfter >= GRACE.toMillis() - 500, "closed at the grace period, not before: " + idleClosedAfter + " ms");

        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process exits after the drain");
        long exitedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm);
        assertEquals(0, process.exitValue(), "exit status after SIGTERM\n" + Files.readString(log));
        assertTrue(exitedAfter < GRACE.plus(CLOSE_TIMEOUT).toMillis() + 3000,
                "exited " + exitedAfter + " ms after SIGTERM (grace " + GRACE.toMillis() + " ms)");
        String output = Files.readString(log);
        // The packaged application loads lz4-java with its own class loader: it must still use
        // the JNI compressor (lz4-java's fastestInstance() would quietly pick pure Java there).
        assertTrue(output.contains("compression offered, LZ4Factory:JNI"), "the packaged node compresses with JNI LZ4\n" + output);
        assertTrue(output.contains("drained: 2 streams, 1 closed by their peers, 1 closed at the grace period, 0 ended without an answer"),
                "the drain's summary line\n" + output);
    }

    /**
     * Messages in flight (written, not yet echoed) at most: a steady stream rather than a flood,
     * so that on a loaded machine the idle stream's keepalives on the same client loop are not
     * queued behind hundreds of thousands of writes (the drain, not the flood, is under test).
     */
    private static final long MAX_IN_FLIGHT = 2_000;

    /** Writes numbered 8-byte messages until the peer says GOAWAY; returns how many were written. */
    private static long sendUntilGoAway(Stream stream, Channel echo, NumberedEchoes echoes) {
        long n = 0;
        try {
            while (!stream.goingAway().isDone()) {
                if (n - echoes.count() >= MAX_IN_FLIGHT) {
                    Thread.sleep(1);
                    continue;
                }
                byte[] message = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
                boolean more = echo.write(PacketType.DATA, message);
                n++;
                if (!more) {
                    echo.whenWritable().get(10, TimeUnit.SECONDS);
                }
            }
            return n;
        } catch (Exception e) {
            throw new IllegalStateException("sending failed after " + n + " messages", e);
        }
    }

    /** Counts echoes and checks they arrive numbered 0, 1, 2, ... */
    private static final class NumberedEchoes implements ChannelHandler {
        private final AtomicLong next = new AtomicLong();
        final AtomicReference<String> error = new AtomicReference<>();

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            long got = data.order(ByteOrder.LITTLE_ENDIAN).getLong(data.position());
            long expected = next.getAndIncrement();
            if (got != expected) {
                error.compareAndSet(null, "echo " + got + " where " + expected + " was due");
            }
        }

        long count() {
            return next.get();
        }

        void awaitCount(long n, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (next.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
    }

    // ------------------------------------------------------------------ the process

    private void start(int streamPort, int httpPort, int managementPort) throws Exception {
        // The packaged jar, or with -Dnative the executable failsafe names (the same flags work for both).
        Path jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar"));
        Path nativeRunner = Path.of(System.getProperty("native.image.path", "target/none-runner"));
        boolean runNative = !Files.isRegularFile(jar) && Files.isExecutable(nativeRunner);
        assertTrue(runNative || Files.isRegularFile(jar), jar + " is missing: DrainIT runs after package (./mvnw verify)");
        log = Files.createTempFile("dap-stream-drain-it", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(runNative ? nativeRunner.toString() : java,
                "-Ddap.stream.tcp.host=127.0.0.1",
                "-Ddap.stream.security.identity.file=" + log.resolveSibling("drain-it-identity.pem"),
                "-Ddap.stream.tcp.port=" + streamPort,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-Ddap.stream.drain.grace-period=" + GRACE.toMillis() + "ms",
                "-Ddap.stream.drain.close-timeout=" + CLOSE_TIMEOUT.toMillis() + "ms"));
        if (!runNative) {
            command.addAll(List.of("-jar", jar.toString()));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!listening(streamPort)) {
            if (!process.isAlive()) {
                fail("the application exited with " + process.exitValue() + " during start-up\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                fail("the stream port did not open within " + START_TIMEOUT + "\n" + Files.readString(log));
            }
            Thread.sleep(100);
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

    /** The port (HTTP or management) that serves {@code path}: the management interface moves /q/* there when enabled. */
    private Optional<Integer> portServing(String path, int... ports) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long firstAnswer = 0;
        while (System.nanoTime() < deadline) {
            for (int port : ports) {
                int status = status(port, path);
                if (status == 200 || status == 503) {
                    return Optional.of(port);
                }
                if (status > 0 && firstAnswer == 0) {
                    firstAnswer = System.nanoTime();
                }
            }
            // One server answers 404; give the other (the management interface) a moment to start.
            if (firstAnswer != 0 && System.nanoTime() - firstAnswer > TimeUnit.SECONDS.toNanos(2)) {
                return Optional.empty();
            }
            Thread.sleep(100);
        }
        return Optional.empty();
    }

    private int status(int port, String path) {
        try {
            return http.send(request(port, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /**
     * Scrapes until the text appears, for at most {@link #SCRAPE_PATIENCE}: on a loaded machine
     * one CI run's first scrape right after start-up lacked the gauge. Returns the last scrape.
     */
    private String scrapeUntil(int port, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SCRAPE_PATIENCE.toNanos();
        String body = scrape(port);
        while (!body.contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            body = scrape(port);
        }
        return body;
    }

    private String scrape(int port) throws IOException, InterruptedException {
        return http.send(request(port, "/q/metrics"), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
    }
}
