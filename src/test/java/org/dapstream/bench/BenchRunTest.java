package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Short real runs against the embedded servers: each phase counts messages and the run exits 0. */
class BenchRunTest {
    private static final String SHORT = "--duration 300ms --warmup 100ms";
    /** Handshake runs measure from the start: a few cold handshakes on a loaded machine can take most of a second. */
    private static final String SHORT_SETUPS = "--duration 1s --warmup 0s";
    private static final Duration LIMIT = Duration.ofSeconds(15);
    private static final Pattern PHASE = Pattern.compile("^(stream|raw|websocket) (oneway|pingpong) .*: ([\\d,]+) msg/s .*\\(([\\d,]+) msgs in", Pattern.MULTILINE);

    @Test
    void oneWayOverBoth() {
        Outcome o = run("--transport both " + SHORT);
        o.assertCounted("raw oneway", "stream oneway");
        assertTrue(o.out.contains("ratio stream/raw: "), o.out);
        // One-way phases report what a message cost this JVM, and the stream/raw ratio of that cost.
        Matcher cpu = Pattern.compile("^(stream|raw) oneway .* cpu=([\\d.]+)us/msg \\(([\\d.]+) cores busy\\) jit=\\d+ms ", Pattern.MULTILINE).matcher(o.out);
        int phases = 0;
        while (cpu.find()) {
            phases++;
            assertTrue(Double.parseDouble(cpu.group(2)) > 0, o.out);
        }
        assertEquals(2, phases, o.out);
        assertTrue(Pattern.compile("ratio stream/raw: [\\d.]+ \\(msg/s\\); cpu/msg stream/raw [\\d.]+").matcher(o.out).find(), o.out);
    }

    @Test
    void oneWayAndPingPongOverTcpThenWebSocketWithTheirRatio() {
        Outcome o = run("--transport stream+websocket --size 65536 " + SHORT);
        o.assertCounted("stream oneway", "websocket oneway");
        assertTrue(o.out.contains("transport=stream+websocket"), o.out);
        assertTrue(Pattern.compile("ratio websocket/stream: [\\d.]+ \\(msg/s\\); cpu/msg websocket/stream [\\d.]+").matcher(o.out).find(), o.out);
        Outcome p = run("--mode pingpong --transport stream+websocket " + SHORT);
        p.assertCounted("stream pingpong", "websocket pingpong");
        assertTrue(p.out.contains("latency websocket/stream: p50 "), p.out);
    }

    @Test
    void pingPongClosedLoopOverBoth() {
        Outcome o = run("--mode pingpong --transport both " + SHORT);
        o.assertCounted("raw pingpong", "stream pingpong");
        assertTrue(o.out.contains("latency stream/raw: p50 "), o.out);
    }

    @Test
    void oneWayPlaintextThenSecureWithTheirRatio() {
        Outcome o = run("--security both " + SHORT);
        o.assertCounted("stream oneway", "stream oneway");
        int plain = o.out.indexOf("stream oneway security=off compression=on payload=random size=64");
        int secure = o.out.indexOf("stream oneway security=on compression=on payload=random size=64");
        assertTrue(plain >= 0 && secure > plain, "plaintext first, then secure: " + o.out);
        assertTrue(Pattern.compile("ratio secure/plaintext: [\\d.]+ \\(msg/s\\); cpu/msg secure/plaintext [\\d.]+").matcher(o.out).find(), o.out);
    }

    @Test
    void compressionBothReportsWireBytesAndTheRatio() {
        // The bytes goal: on loopback the default throughput goal sends raw (faster than LZ4 here),
        // and this test is about how the bench reports the wire bytes of compressed frames.
        Outcome o = run("--compression both --compression-goal bytes --payload json --size 16384 " + SHORT);
        o.assertCounted("stream oneway", "stream oneway");
        assertTrue(o.out.contains("compression-goal=bytes"), o.out);
        int off = o.out.indexOf("stream oneway security=on compression=off payload=json size=16384");
        int on = o.out.indexOf("stream oneway security=on compression=on payload=json size=16384");
        assertTrue(off >= 0 && on > off, "uncompressed first, then compressed: " + o.out);
        java.util.regex.Matcher ratio = java.util.regex.Pattern
                .compile("wire bytes per message ([0-9.]+) vs ([0-9.]+) \\(([0-9.]+)\\)").matcher(o.out);
        assertTrue(ratio.find(), o.out);
        double compressed = Double.parseDouble(ratio.group(1));
        double plain = Double.parseDouble(ratio.group(2));
        // Per frame sent: 16 KiB messages (16,412 bytes each, sealed) and a few small ones (report
        // requests, keepalives, window updates), which in a cold 300 ms window of a few hundred
        // messages pull the mean below 16,384 (16,379.6 seen): "about its frame" is within 3 %.
        assertTrue(plain >= 16384 * 0.97 && plain <= 16412, "an uncompressed 16 KiB message costs about its frame: " + o.out);
        assertTrue(compressed < plain / 2, "JSON log lines shrink by more than half on the wire: " + o.out);
    }

    @Test
    void pingPongOpenLoopOverStream() {
        Outcome o = run("--mode pingpong --rate 2000 --connections 2 --channels 2 " + SHORT);
        o.assertCounted("stream pingpong");
        assertTrue(o.out.contains("rate=2000"), o.out);
    }

    @Test
    void oneWayRawWithSeveralChannelsPerSocket() {
        Outcome o = run("--transport raw --connections 2 --channels 3 --size 1000 " + SHORT);
        o.assertCounted("raw oneway");
    }

    @Test
    void oneWayLargeMessagesByCount() {
        Outcome o = run("--transport both --size 65536 --count 2000 --warmup 100ms");
        o.assertCounted("raw oneway", "stream oneway");
        assertTrue(o.out.contains("(2,000 msgs in"), o.out);
    }

    @Test
    void handshakesBothSecureAndPlaintextWithTheirRatio() {
        Outcome o = run("--mode handshake --security both --connections 4 " + SHORT_SETUPS);
        assertEquals(Bench.EXIT_OK, o.exit, () -> o.out + o.err);
        Matcher plain = handshakeLine("off", "none").matcher(o.out);
        Matcher secure = handshakeLine("on", "ml-dsa-65").matcher(o.out);
        assertTrue(plain.find(), o.out);
        assertTrue(secure.find(), o.out);
        assertTrue(plain.start() < secure.start(), "the plaintext baseline runs first: " + o.out);
        for (Matcher m : List.of(plain, secure)) {
            assertTrue(Long.parseLong(m.group(2).replace(",", "")) > 0, o.out);
            assertEquals("none", m.group(3), "the embedded server's caps must admit every connector: " + o.out);
        }
        assertTrue(o.out.contains("ratio secure/plaintext: "), o.out);
    }

    @Test
    void handshakesWithEd25519IdentitiesAndMoreConnectorsThanTheDefaultPerAddressCap() {
        // 33 connectors from one address: over the default cap of 32, so only a sized gate admits them all.
        Outcome o = run("--mode handshake --identity ed25519 --connections 33 --duration 2s --warmup 0s");
        assertEquals("none", setupsCounted(o, "on", "ed25519").group(3), o.out);
    }

    @Test
    void openLoopHandshakesFollowTheirSchedule() {
        // Plaintext setups take well under a millisecond: at 200/s the schedule, not the node, sets the count.
        Outcome o = run("--mode handshake --security off --rate 200 --duration 1s --warmup 0s");
        Matcher m = setupsCounted(o, "off", "none");
        assertTrue(o.out.contains("conns=64 rate=200: "), "open loop caps setups in flight at 64 by default: " + o.out);
        // Per second of the window, not per run: a window a little longer than 1 s starts a few more, and
        // setups the schedule started just before the window may complete in it after a stall of the
        // loop (CI saw 209 with a 42 ms worst case): 10 % over the rate, not 2x as a closed loop would.
        long perSecond = Long.parseLong(m.group(1).replace(",", ""));
        assertTrue(perSecond <= 220, "no more setups complete than the schedule starts: " + o.out);
        assertTrue(perSecond >= 50, "most of the 200 scheduled setups a second complete: " + o.out);
        assertEquals("none", m.group(3), o.out);
    }

    @Test
    void openLoopHandshakesOverTheInFlightCapAreSkippedAndCounted() {
        // One secure setup in flight at a time cannot start 2,000 a second: the rest are skipped, and say so.
        Outcome o = run("--mode handshake --rate 2000 --connections 1 --duration 1s --warmup 0s");
        Matcher m = setupsCounted(o, "on", "ml-dsa-65");
        assertTrue(m.group(3).matches("SKIPPED_IN_FLIGHT_CAP=\\d+( SKIPPED_IN_FLIGHT_CAP_BEFORE_WINDOW=\\d+)?"), "skips are counted, nothing else failed: " + o.out);
    }

    @Test
    void handshakesAgainstANodeThatIsNotThereFailWithTheCount() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Outcome o = run("--mode handshake --connections 2 --target 127.0.0.1:" + port + " " + SHORT_SETUPS);
        assertEquals(Bench.EXIT_FAILED, o.exit, o.out);
        assertTrue(o.err.contains("no stream setup to 127.0.0.1:" + port + " completed in the window; failures: ConnectException="), o.err);
    }

    @Test
    void handshakesAgainstAPlaintextNodeAreCountedByErrorCode() {
        // A secure client and a plaintext server cannot agree: every setup fails, each with its code.
        try (EmbeddedServer plain = EmbeddedServer.start(BenchOptions.defaults().withSecurity(Security.OFF))) {
            Outcome o = run("--mode handshake --connections 2 --target 127.0.0.1:" + plain.port() + " " + SHORT_SETUPS);
            assertEquals(Bench.EXIT_FAILED, o.exit, o.out);
            assertTrue(o.err.matches("(?s).*completed in the window; failures: [A-Z_]+=\\d+.*"), o.err);
        } catch (BenchFailure e) {
            throw new AssertionError(e);
        }
    }

    /** Exit 0 and a handshake line with setups counted; its groups: 2 the setups, 3 the failures. */
    private static Matcher setupsCounted(Outcome o, String security, String identity) {
        assertEquals(Bench.EXIT_OK, o.exit, () -> o.out + o.err);
        Matcher m = handshakeLine(security, identity).matcher(o.out);
        assertTrue(m.find(), o.out);
        assertTrue(Long.parseLong(m.group(2).replace(",", "")) > 0, o.out);
        return m;
    }

    private static Pattern handshakeLine(String security, String identity) {
        return Pattern.compile("^stream handshake security=" + security + " identity=" + identity
                + " conns=\\d+(?: rate=\\d+)?: ([\\d,]+) handshakes/s connect-to-ready p50=[\\d.]+us p99=[\\d.]+us .* cpu=[\\d.]+ms/handshake \\([\\d.]+ cores busy\\) jit=\\d+ms \\(([\\d,]+) handshakes in [\\d.]+ s; failures: ([^)]*)\\)$", Pattern.MULTILINE);
    }

    @Test
    void helpPrintsUsageWithStatus2() {
        Outcome o = run("--help");
        assertEquals(Bench.EXIT_USAGE, o.exit, "usage asked for: nothing ran");
        assertTrue(o.out.startsWith("Usage: bench "), o.out);
        for (String option : List.of("--target", "--mode", "--in-flight", "--compression-goal", "--hgrm", "--html")) {
            assertTrue(o.out.contains(option), option + " in " + o.out);
        }
    }

    @Test
    void badOptionsExitWithUsageStatus() {
        Outcome o = run("--size lots");
        assertEquals(Bench.EXIT_USAGE, o.exit);
        assertTrue(o.err.contains("--size: 'lots' is not a whole number"), o.err);
    }

    @Test
    void unreachableTargetFailsTheRun() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Outcome o = run("--target 127.0.0.1:" + port + " " + SHORT);
        assertEquals(Bench.EXIT_FAILED, o.exit, o.err);
        assertTrue(o.err.contains("bench: run failed: stream connection to 127.0.0.1:" + port + " failed"), o.err);
    }

    private static Outcome run(String line) {
        return assertTimeoutPreemptively(LIMIT, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Bench.run(line.split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        });
    }

    private record Outcome(int exit, String out, String err) {
        /** Exit 0, and one phase line per name with messages counted. */
        void assertCounted(String... phases) {
            assertEquals(Bench.EXIT_OK, exit, () -> out + err);
            List<String> seen = new ArrayList<>();
            Matcher m = PHASE.matcher(out);
            while (m.find()) {
                seen.add(m.group(1) + " " + m.group(2));
                long messages = Long.parseLong(m.group(4).replace(",", ""));
                assertTrue(messages > 0, () -> "no messages counted in: " + out);
            }
            assertEquals(List.of(phases), seen, out);
        }
    }
}
