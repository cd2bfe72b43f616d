package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Short broadcast runs over three real member nodes in this JVM: every member gets every message once. */
class BroadcastRunTest {
    /** Setup (3 nodes linking, the members' handshakes and joins) plus a 1 s window, on a loaded 2-core machine. */
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @Test
    void aOneSecondRunDeliversAndEveryMemberGetsTheSameCount() throws Exception {
        BenchOptions options = BenchCommand.parse("--mode", "broadcast", "--members", "6", "--duration", "1s", "--warmup", "200ms",
                "--identity", "ed25519");
        BroadcastResult r = assertTimeoutPreemptively(LIMIT, () -> BroadcastRun.run(options));
        assertTrue(r.deliveries() > 0, r.line());
        assertTrue(r.publishes() > 0, r.line());
        assertEquals(0, r.gapNotices(), r.line());
        assertEquals(0, r.nodeMissed(), r.line());
        // No gaps: each member received exactly what was published, all of them the same count.
        assertEquals(r.published(), r.minReceived(), r.line());
        assertEquals(r.published(), r.maxReceived(), r.line());
        assertEquals(0, r.outOfOrder(), r.line());
        assertEquals(0, r.skipped(), r.line());
        assertTrue(r.valid(), r.line());
        assertTrue(r.latency().count() > 0, "latencies recorded in the window: " + r.line());
        assertEquals(3, r.nodeCpu().length);
    }

    @Test
    void aPacedPublisherKeepsToItsRate() throws Exception {
        BenchOptions options = BenchCommand.parse("--mode", "broadcast", "--members", "3", "--rate", "2000", "--duration", "1s",
                "--warmup", "200ms", "--identity", "ed25519");
        BroadcastResult r = assertTimeoutPreemptively(LIMIT, () -> BroadcastRun.run(options));
        assertTrue(r.publishes() > 0, r.line());
        // Paced from its start in 1 ms ticks: never ahead of the schedule by more than a tick's worth.
        assertTrue(r.publishesPerSecond() <= 2000 * 1.1, r.line());
        assertTrue(r.valid(), r.line());
        assertTrue(r.line().contains(" members=3 rate=2000 in-flight="), r.line());
    }

    @Test
    void theCommandPrintsDeliveriesLatencyAndTheChecks() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = assertTimeoutPreemptively(LIMIT, () -> Bench.run(("--mode broadcast --nodes 2 --members 4 --size 1024 --duration 500ms "
                + "--warmup 100ms --identity ed25519").split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(Bench.EXIT_OK, status, text + err.toString(StandardCharsets.UTF_8));
        Matcher m = Pattern.compile("^broadcast security=on .* size=1024 nodes=2 members=4 in-flight=\\d+: ([\\d,]+) deliveries/s "
                + "[\\d,]+ publishes/s publish-to-delivery p50=[\\d.]+us p99=[\\d.]+us p99.9=[\\d.]+us .*; gaps: 0 notices, 0 missed "
                + "\\(nodes: 0, 0\\); every member got every message once, in order", Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Long.parseLong(m.group(1).replace(",", "")) > 0, text);
    }
}
