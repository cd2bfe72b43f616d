package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The command line of the packaged jar, as a user runs it: usage and typos exit 2 at once
 * without starting a node (no port bound, no identity file written), {@code --version} reads
 * the jar's own version, {@code keygen} writes an owner-only identity, and with no argument
 * the jar still serves: {@code ping} from a second process reaches it.
 */
class CommandLineIT {
    /** A tool's start-up on a loaded 2-core machine: it runs no Quarkus, so a fraction of this. */
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    /** Start-up of the node on a loaded 2-core machine, with room to spare. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Process node;

    @AfterEach
    void stopNode() throws InterruptedException {
        if (node != null && node.isAlive()) {
            node.destroy();
            if (!node.waitFor(20, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private record Run(int status, String out, String err) {
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("dap.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " is missing: CommandLineIT runs after package (./mvnw verify)");
        return jar;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java} with the node's identity and ports pointed into {@code dir}, so any node start would show there. */
    private List<String> command(String... args) {
        List<String> c = new ArrayList<>(List.of(java(),
                "-Ddap.stream.security.identity.file=" + dir.resolve("identity.pem"),
                "-Ddap.stream.tcp.host=127.0.0.1", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.management.host=127.0.0.1",
                "-jar", jar().toString()));
        c.addAll(List.of(args));
        return c;
    }

    private Run run(List<String> command) throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " still running after " + TOOL_TIMEOUT + "\n" + Files.readString(out) + Files.readString(err));
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** Nothing a node would leave: the directory holds only what the test put there. */
    private void assertNoNodeStarted(Run r) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no identity file, no log: no node started\n" + r);
        }
        assertFalse(r.out().contains("Installed features") || r.err().contains("Installed features"), "Quarkus did not start\n" + r);
    }

    @Test
    void aTypoExits2WithTheClosestCommandAndNoNode() throws Exception {
        Run r = run(command("kegen"));
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("Unmatched argument at index 0: 'kegen'"), r.err());
        assertTrue(r.err().contains("Did you mean: dap-stream keygen"), r.err());
        assertTrue(r.err().contains("Usage: dap-stream [-hV] [COMMAND]"), r.err());
        assertNoNodeStarted(r);
    }

    @Test
    void helpExits2WithTheUsageAndNoNode() throws Exception {
        Run r = run(command("--help"));
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.out().startsWith("Usage: dap-stream [-hV] [COMMAND]"), r.out());
        assertEquals("", r.err());
        assertNoNodeStarted(r);
        Run keygen = run(command("keygen", "--help"));
        assertEquals(2, keygen.status(), keygen.toString());
        assertTrue(keygen.out().startsWith("Usage: dap-stream keygen"), keygen.out());
        assertNoNodeStarted(keygen);
    }

    @Test
    void versionIsTheJarsOwn() throws Exception {
        Run r = run(command("--version"));
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().matches("dap-stream \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\njava .*\n"), r.out());
    }

    @Test
    void keygenWritesAnOwnerOnlyIdentityAndPrintsOnlyItsOwnLines() throws Exception {
        Path key = dir.resolve("node.pem");
        Run r = run(command("keygen", "--algorithm", "ed25519", "--out", key.toString()));
        assertEquals(0, r.status(), r.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), "wrote, address, public key; no log lines: " + r.out());
        assertTrue(lines.get(1).startsWith("node address: "), r.out());
        assertEquals("", r.err());
    }

    @Test
    void withoutArgumentsTheJarServesAndPingReachesIt() throws Exception {
        int streamPort = freePort();
        List<String> serve = new ArrayList<>(List.of(java(),
                "-Ddap.stream.security.identity.file=" + dir.resolve("identity.pem"),
                "-Ddap.stream.tcp.host=127.0.0.1", "-Ddap.stream.tcp.port=" + streamPort,
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + freePort(),
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + freePort(),
                "-jar", jar().toString()));
        Path log = dir.resolve("node.log");
        node = new ProcessBuilder(serve).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!listening(streamPort)) {
            if (!node.isAlive()) {
                fail("the node exited with " + node.exitValue() + " during start-up\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                fail("the stream port did not open within " + START_TIMEOUT + "\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        assertTrue(Files.exists(dir.resolve("identity.pem")), "serving made the node's identity");

        Path out = dir.resolve("ping.txt");
        Process ping = new ProcessBuilder(java(), "-jar", jar().toString(), "ping", "127.0.0.1:" + streamPort, "--count", "2",
                "--interval", "100ms").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(ping.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "ping finished");
        String printed = Files.readString(out);
        assertEquals(0, ping.exitValue(), printed);
        assertTrue(printed.startsWith("connected to 127.0.0.1:" + streamPort + " in "), printed);
        assertTrue(printed.contains(", suite aes-256-gcm, peer signature ml-dsa-65"), printed);
        assertTrue(printed.contains("2 sent, 2 echoed; rtt min/avg/max = "), printed);
        assertEquals(4, printed.lines().count(), "connected, two echoes, the summary; no log lines\n" + printed);

        node.destroy(); // SIGTERM: drained and exit 0, as before the command line existed
        assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node exits after SIGTERM");
        assertEquals(0, node.exitValue(), Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
