package org.dapstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.Management;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code ping}, {@code channel} and {@code status} against a real node: this application on 127.0.0.1. */
@QuarkusTest
class NodeCommandsTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Object command, String... args) {
        out.reset();
        err.reset();
        return Commands.execute(command, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                args);
    }

    private PrintStream outStream() {
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }

    private PrintStream errStream() {
        return new PrintStream(err, true, StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Management mgmt() {
        return new Management(management);
    }

    private String nodeAddress() {
        return mgmt().admin("GET", "/admin/node", Management.TOKEN, null).json().get("node").asText();
    }

    @Test
    void pingShowsTheNodeItsSuiteAndEveryRoundTrip() {
        int port = mgmt().streamPort();
        int status = run(new Ping(outStream(), errStream()), "127.0.0.1:" + port, "--count", "3", "--interval", "50ms");
        assertEquals(Commands.EXIT_OK, status, out() + err());
        String printed = out();
        assertTrue(printed.startsWith("connected to 127.0.0.1:" + port + " in "), printed);
        assertTrue(printed.contains("node " + nodeAddress() + ", suite aes-256-gcm, peer signature ml-dsa-65"), printed);
        for (int seq = 1; seq <= 3; seq++) {
            assertTrue(printed.matches("(?s).*echo " + seq + ": 64 bytes, rtt \\d+\\.\\d{3} ms\n.*"), printed);
        }
        assertTrue(printed.matches("(?s).*3 sent, 3 echoed; rtt min/avg/max = [\\d.]+/[\\d.]+/[\\d.]+ ms\n"), printed);
        assertEquals("", err(), "nothing on stderr, not even the client's INFO logging");
    }

    @Test
    void plaintextPingToASecureNodeIsRefusedAndSaysToDropPlaintext() {
        int port = mgmt().streamPort();
        assertEquals(Commands.EXIT_FAILED, run(new Ping(outStream(), errStream()), "127.0.0.1:" + port, "--plaintext"));
        assertTrue(err().startsWith("ping: the node at 127.0.0.1:" + port + " refused the stream: SECURITY_REQUIRED"), err());
        assertTrue(err().endsWith(" (drop --plaintext)\n"), err());
    }

    @Test
    void pingToAPortWhereNoNodeListensFailsWithStatus1AndSaysWhatToCheck() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        assertEquals(Commands.EXIT_FAILED, run(new Ping(outStream(), errStream()), "127.0.0.1:" + port, "-W", "2s"));
        assertTrue(err().startsWith("ping: connection to 127.0.0.1:" + port + " refused: no node listens there"), err());
    }

    @Test
    void pingRefusesBadValuesNamingOptionAndValue() {
        assertEquals(Commands.EXIT_USAGE, run(new Ping(outStream(), errStream()), "127.0.0.1:8079", "--count", "0"));
        assertTrue(err().startsWith("ping: --count must be 1..10000, got 0\n"), err());
        assertEquals(Commands.EXIT_USAGE, run(new Ping(outStream(), errStream()), "127.0.0.1:70000"));
        assertTrue(err().startsWith("ping: Invalid value for positional parameter at index 0 (HOST:PORT): port 70000 of '127.0.0.1:70000' "
                + "is out of range 1..65535"), err());
        assertEquals(Commands.EXIT_USAGE, run(new Ping(outStream(), errStream()), "127.0.0.1:8079", "--interval", "1h"));
        assertTrue(err().startsWith("ping: Invalid value for option '--interval': '1h' is not a duration; use e.g. 500ms, 10s, 1m"), err());
        assertEquals(Commands.EXIT_USAGE, run(new Ping(outStream(), errStream())));
        assertTrue(err().startsWith("ping: Missing required parameter: 'HOST:PORT'"), err());
        assertEquals("", out(), "nothing connected");
    }

    @Test
    void channelSendsEachLineAndPrintsWhatComesBack() {
        InputStream lines = new ByteArrayInputStream("hello\nwörld, ünïcode\n\nlast line\n".getBytes(StandardCharsets.UTF_8));
        int status = run(new ChannelCommand(lines, outStream(), errStream()), "127.0.0.1:" + mgmt().streamPort(), "--type", "echo");
        assertEquals(Commands.EXIT_OK, status, out() + err());
        assertEquals("hello\nwörld, ünïcode\n\nlast line\n", out(), "every line echoed, in order, and nothing else on stdout");
        assertTrue(err().contains("channel CUSTOM(0xf0 echo) open; each line is one message, Ctrl-D closes"), err());
        assertTrue(err().contains("channel closed: "), err());
    }

    @Test
    void channelOfATypeTheNodeDoesNotServeIsRefusedWithStatus1() {
        InputStream nothing = new ByteArrayInputStream(new byte[0]);
        int status = run(new ChannelCommand(nothing, outStream(), errStream()), "127.0.0.1:" + mgmt().streamPort(), "--type", "0x7e");
        assertEquals(Commands.EXIT_FAILED, status, out() + err());
        assertTrue(err().contains("channel: the node did not open a "), err());
        assertTrue(err().contains("is a service for that type registered on the node?"), err());
        assertEquals(Commands.EXIT_USAGE, run(new ChannelCommand(nothing, outStream(), errStream()), "127.0.0.1:1", "--type", "gopher"));
        assertTrue(err().startsWith("channel: Invalid value for option '--type': 'gopher' is not a channel type"), err());
        assertEquals(Commands.EXIT_USAGE, run(new ChannelCommand(nothing, outStream(), errStream()), "127.0.0.1:1", "--type", "7"));
        assertTrue(err().contains("'7' is not a custom channel type: custom types are 16..255"), err());
    }

    @Test
    void statusShowsTheNodeAndALiveStream() throws Exception {
        Path token = dir.resolve("admin-token");
        Files.writeString(token, Management.TOKEN + "\n");
        String admin = mgmt().base().toString();
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect("127.0.0.1", mgmt().streamPort()).get(10, TimeUnit.SECONDS);
            int status = run(new Status(outStream(), errStream(), Map.of()), "--admin", admin, "--token-file", token.toString());
            assertEquals(Commands.EXIT_OK, status, out() + err());
            String printed = out();
            assertTrue(printed.startsWith("node " + nodeAddress() + "  stream port " + mgmt().streamPort() + "  serving"), printed);
            assertTrue(printed.matches("(?s).*\nstreams \\(\\d+\\)\n.*"), printed);
            assertTrue(printed.contains("aes-256-gcm"), "the test's secure stream, with its suite: " + printed);
            assertTrue(printed.contains("\nsessions ("), printed);
            assertTrue(printed.contains("\ncluster: discovery "), printed);

            // --json: the admin API's own documents, one per line, and the environment variable as the token.
            status = run(new Status(outStream(), errStream(), Map.of(Status.TOKEN_ENV, Management.TOKEN)), "--admin", admin, "--json");
            assertEquals(Commands.EXIT_OK, status, err());
            List<String> docs = out().lines().toList();
            assertEquals(4, docs.size(), out());
            assertEquals(nodeAddress(), new JsonObject(docs.get(0)).getString("node"));
            JsonArray streams = new JsonArray(docs.get(1));
            assertTrue(streams.stream().map(JsonObject.class::cast).anyMatch(s -> "aes-256-gcm".equals(s.getString("suite"))), docs.get(1));
            new JsonArray(docs.get(2));
            assertTrue(new JsonObject(docs.get(3)).containsKey("members"), docs.get(3));
            stream.close();
        }
    }

    @Test
    void statusWithAWrongOrMissingTokenSaysWhichAndWhatToGive() {
        String admin = mgmt().base().toString();
        assertEquals(Commands.EXIT_FAILED, run(new Status(outStream(), errStream(), Map.of()), "--admin", admin, "--token", "nope"));
        assertEquals("status: the admin API refused the token (403 wrong admin token): give the node's dap.stream.admin.token\n", err());
        assertEquals(Commands.EXIT_USAGE, run(new Status(outStream(), errStream(), Map.of()), "--admin", admin));
        assertTrue(err().startsWith("status: no admin token: give --token-file FILE, set DAP_STREAM_ADMIN_TOKEN, or --token TOKEN"), err());
        assertEquals(Commands.EXIT_USAGE, run(new Status(outStream(), errStream(), Map.of()), "--admin", "ftp://x", "--token", "t"));
        assertTrue(err().startsWith("status: --admin: 'ftp://x' is not a URL like http://127.0.0.1:9000"), err());
        assertFalse(out().contains("node "), "nothing shown");
    }
}
