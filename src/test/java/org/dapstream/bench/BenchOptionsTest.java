package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.SignatureAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** The command line: what each good input sets, and the exact complaint about each bad one (picocli's for the syntax). */
class BenchOptionsTest {
    @Test
    void noArgumentsGiveTheDefaults() {
        BenchOptions o = BenchCommand.parse();
        assertNull(o.target());
        assertTrue(o.embedded());
        assertEquals(1, o.connections());
        assertEquals(1, o.channels());
        assertEquals(64, o.size());
        assertEquals(Duration.ofSeconds(10), o.duration());
        assertEquals(Duration.ofSeconds(2), o.warmup());
        assertEquals(BenchOptions.NO_COUNT, o.count());
        assertEquals(BenchOptions.UNLIMITED_RATE, o.rate());
        assertEquals(Workload.ONEWAY, o.workload());
        assertEquals(List.of(TransportKind.STREAM), o.transports());
        assertEquals(1, o.serverLoops());
        assertEquals(1, o.clientLoops());
        assertEquals(Security.ON, o.security());
        assertTrue(o.secure());
        assertEquals(SignatureAlgorithm.ML_DSA_65, o.identity());
        assertFalse(o.compares());
    }

    @Test
    void handshakeModeDefaultsToEightConnectors() {
        BenchOptions o = BenchCommand.parse("--mode", "handshake");
        assertEquals(Workload.HANDSHAKE, o.workload());
        assertEquals(BenchOptions.DEFAULT_HANDSHAKE_CONNECTIONS, o.connections());
        assertEquals(8, o.connections());
        assertEquals(List.of(TransportKind.STREAM), o.transports());
    }

    @Test
    void securityBothRunsPlaintextFirstThenSecure() {
        BenchOptions o = BenchCommand.parse("--security", "both");
        assertTrue(o.compares());
        assertEquals(List.of(Security.OFF, Security.ON), o.security().phases());
        assertFalse(o.withSecurity(Security.OFF).secure());
        assertTrue(o.withSecurity(Security.ON).secure());
        assertEquals(List.of(Security.ON), Security.ON.phases());
    }

    @Test
    void acksBothRunsWithoutThenWithAcknowledgements() {
        BenchOptions o = BenchCommand.parse("--acks", "both");
        assertTrue(o.compares());
        assertEquals(List.of(Acknowledging.OFF, Acknowledging.ON), o.acks().phases());
        assertFalse(o.withAcks(Acknowledging.OFF).acknowledging());
        assertTrue(o.withAcks(Acknowledging.ON).acknowledging());
        assertEquals(Acknowledging.OFF, BenchCommand.parse().acks(), "the client's default: not offered");
    }

    @Test
    void broadcastDefaultsToThreeNodesThirtyMembersAndAnInFlightWindowWithinHalfASendBuffer() {
        BenchOptions o = BenchCommand.parse("--workload", "broadcast");
        assertEquals(Workload.BROADCAST, o.workload());
        assertEquals(3, o.nodes());
        assertEquals(30, o.members());
        assertEquals(BenchOptions.AUTO_IN_FLIGHT, o.inFlight());
        // 512 KiB of 64-byte messages with a 26-byte MESSAGE header each: 5,825 messages.
        assertEquals(524_288 / 90, o.inFlightMessages(26));
        assertEquals(524_288 / 1050, BenchCommand.parse("--mode", "broadcast", "--size", "1024").inFlightMessages(26));
        assertTrue(o.describe().startsWith("mode=broadcast nodes=3 members=30 size=64 duration=10s warmup=2s rate=unlimited in-flight=auto"), o.describe());
    }

    static Stream<Arguments> good() {
        return Stream.of(
                row("--target 10.0.0.5:8079", o -> o.target().equals(new Target("10.0.0.5", 8079))),
                row("--target [::1]:8079", o -> o.target().equals(new Target("::1", 8079))),
                row("--target node-a.example:1", o -> o.target().port() == 1 && o.target().host().equals("node-a.example")),
                row("--connections 1024", o -> o.connections() == 1024),
                row("--channels 7", o -> o.channels() == 7 && o.lanes() == 7),
                row("--connections 3 --channels 4", o -> o.lanes() == 12),
                row("--size 1", o -> o.size() == 1),
                row("--size 65536", o -> o.size() == 65536),
                row("--duration 500ms", o -> o.duration().equals(Duration.ofMillis(500))),
                row("--duration 10s", o -> o.duration().equals(Duration.ofSeconds(10))),
                row("--duration 1m", o -> o.duration().equals(Duration.ofMinutes(1))),
                row("--warmup 0s", o -> o.warmup().isZero()),
                row("--count 1000000", o -> o.count() == 1_000_000),
                row("--rate 0", o -> o.rate() == 0),
                row("--rate 10000", o -> o.rate() == 10_000),
                row("--mode pingpong --size 8", o -> o.workload() == Workload.PINGPONG && o.size() == 8),
                row("--mode broadcast --nodes 1 --members 1", o -> o.workload() == Workload.BROADCAST && o.nodes() == 1 && o.members() == 1),
                row("--mode broadcast --nodes 16 --members 1024 --size 1024", o -> o.nodes() == 16 && o.members() == 1024 && o.size() == 1024),
                row("--mode broadcast --in-flight off", o -> o.inFlight() == BenchOptions.NO_IN_FLIGHT_LIMIT && o.inFlightMessages(26) == 0),
                row("--mode broadcast --in-flight 100", o -> o.inFlight() == 100 && o.inFlightMessages(26) == 100),
                row("--mode broadcast --rate 10000", o -> o.rate() == 10_000 && o.describe().contains(" rate=10000 ")),
                row("--mode broadcast --security off --server-loops 2 --client-loops 2", o -> !o.secure() && o.serverLoops() == 2),
                row("--transport raw", o -> o.transports().equals(List.of(TransportKind.RAW))),
                row("--transport both", o -> o.transports().equals(List.of(TransportKind.RAW, TransportKind.STREAM)) && o.compares()
                        && o.describe().contains(" transport=both ")),
                row("--transport websocket", o -> o.transports().equals(List.of(TransportKind.WEBSOCKET)) && !o.compares()),
                row("--transport stream+websocket --mode pingpong", o -> o.transports().equals(List.of(TransportKind.STREAM, TransportKind.WEBSOCKET))
                        && o.compares() && o.describe().contains(" transport=stream+websocket ")),
                row("--transport websocket --target 127.0.0.1:8080", o -> !o.embedded() && o.transports().equals(List.of(TransportKind.WEBSOCKET))),
                row("--server-loops 2 --client-loops 64", o -> o.serverLoops() == 2 && o.clientLoops() == 64),
                row("--target 127.0.0.1:8079 --client-loops 2", o -> !o.embedded() && o.clientLoops() == 2),
                row("--security off", o -> o.security() == Security.OFF && !o.secure() && !o.compares()),
                row("--security both --mode pingpong", o -> o.security() == Security.BOTH && o.compares()),
                row("--identity ed25519", o -> o.identity() == SignatureAlgorithm.ED25519),
                row("--identity ml-dsa-65", o -> o.identity() == SignatureAlgorithm.ML_DSA_65),
                row("--mode handshake --connections 1", o -> o.workload() == Workload.HANDSHAKE && o.connections() == 1),
                row("--mode handshake --connections 1024 --security both", o -> o.connections() == 1024 && o.compares()),
                row("--mode handshake --target 10.0.0.5:8079 --identity ed25519", o -> !o.embedded() && o.connections() == 8),
                row("--connections 3 --mode handshake", o -> o.connections() == 3),
                row("--mode handshake --rate 500", o -> o.rate() == 500 && o.connections() == BenchOptions.DEFAULT_OPEN_LOOP_HANDSHAKES),
                row("--mode handshake --rate 500 --connections 16", o -> o.rate() == 500 && o.connections() == 16));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("good")
    void goodInputs(String line, Check check) {
        assertTrue(check.holds(BenchCommand.parse(line.split(" "))), line);
    }

    static Stream<Arguments> bad() {
        return Stream.of(
                //  arguments                                 the message contains
                bad("--frobnicate 1",                         "Unknown options: '--frobnicate', '1'"),
                bad("size 64",                                "Unmatched arguments from index 0: 'size', '64'"),
                bad("--size",                                 "Missing required parameter for option '--size' (BYTES)"),
                bad("--size 64 --size 128",                   "option '--size' (BYTES) should be specified only once"),
                bad("--size 0",                               "--size: 0 is out of range 1..65536"),
                bad("--size 65537",                           "--size: 65537 is out of range 1..65536"),
                bad("--size 64k",                             "--size: '64k' is not a whole number; give 1..65536"),
                bad("--connections 0",                        "--connections: 0 is out of range 1..1024"),
                bad("--connections 1025",                     "--connections: 1025 is out of range 1..1024"),
                bad("--channels 1025",                        "--channels: 1025 is out of range 1..1024"),
                bad("--count 0",                              "--count: 0 is out of range 1.."),
                bad("--count -5",                             "--count: -5 is out of range 1.."),
                bad("--rate -1",                              "--rate: -1 is out of range 0..100000000"),
                bad("--rate fast",                            "--rate: 'fast' is not a whole number"),
                bad("--duration 10",                          "--duration: '10' is not a duration; use e.g. 500ms, 10s, 1m"),
                bad("--duration 1h",                          "--duration: '1h' is not a duration"),
                bad("--duration 1.5s",                        "--duration: '1.5s' is not a duration"),
                bad("--duration 0s",                          "--duration must be longer than 0"),
                bad("--warmup 2000m",                         "--warmup: 2000m is longer than the limit of 24 h"),
                bad("--mode burst",                           "--mode: 'burst' is not oneway, pingpong, handshake or broadcast"),
                bad("--workload broadcast --mode oneway",     "(MODE) should be specified only once"),
                bad("--mode broadcast --nodes 0",             "--nodes: 0 is out of range 1..16"),
                bad("--mode broadcast --nodes 17",            "--nodes: 17 is out of range 1..16"),
                bad("--mode broadcast --members 0",           "--members: 0 is out of range 1..1024"),
                bad("--mode broadcast --members 1025",        "--members: 1025 is out of range 1..1024"),
                bad("--mode broadcast --in-flight 0",         "--in-flight: 0 is out of range 1..10000000"),
                bad("--mode broadcast --in-flight some",      "--in-flight: 'some' is not a whole number"),
                bad("--mode broadcast --size 7",              "--size must be at least 8 for broadcast"),
                bad("--mode broadcast --target h:1",          "--mode broadcast starts its own member nodes; drop --target"),
                bad("--mode broadcast --transport both",      "--mode broadcast measures named clusters over streams; it needs --transport stream"),
                bad("--mode broadcast --security both",       "--mode broadcast runs one configuration"),
                bad("--mode broadcast --connections 2",       "--connections does not apply to --mode broadcast"),
                bad("--mode broadcast --count 1000",          "--count does not apply to --mode broadcast"),
                bad("--nodes 3",                              "--nodes applies to --mode broadcast only"),
                bad("--mode oneway --members 3",              "--members applies to --mode broadcast only"),
                bad("--in-flight auto",                       "--in-flight applies to --mode broadcast only"),
                bad("--security maybe",                       "--security: 'maybe' is not on, off or both"),
                bad("--identity rsa",                         "--identity: 'rsa' is not ml-dsa-65 or ed25519"),
                bad("--security both --transport both",       "--security both compares secure to plaintext streams; it needs --transport stream"),
                bad("--security both --transport raw",        "--security both compares secure to plaintext streams; it needs --transport stream"),
                bad("--mode handshake --transport both",      "--mode handshake measures stream setups; it needs --transport stream"),
                bad("--mode handshake --channels 2",          "--channels does not apply to --mode handshake"),
                bad("--mode handshake --size 64",             "--size does not apply to --mode handshake"),
                bad("--mode handshake --count 100",           "--count does not apply to --mode handshake"),
                bad("--mode handshake --connections 0",       "--connections: 0 is out of range 1..1024"),
                bad("--transport tcp",                        "--transport: 'tcp' is not stream, raw, both, websocket or stream+websocket"),
                bad("--mode handshake --transport websocket", "--mode handshake measures stream setups; it needs --transport stream"),
                bad("--mode broadcast --transport websocket", "--mode broadcast measures named clusters over streams; it needs --transport stream"),
                bad("--security both --transport stream+websocket", "--security both compares secure to plaintext streams; it needs --transport stream"),
                bad("--target localhost",                     "--target: 'localhost' is not host:port"),
                bad("--target :8079",                         "--target: ':8079' is not host:port"),
                bad("--target host:",                         "--target: 'host:' is not host:port"),
                bad("--target host:http",                     "--target: port 'http' is not a number 1..65535"),
                bad("--target host:70000",                    "--target: port 70000 is out of range 1..65535"),
                bad("--server-loops 0",                       "--server-loops: 0 is out of range 1..64"),
                bad("--client-loops 65",                      "--client-loops: 65 is out of range 1..64"),
                bad("--mode pingpong --size 7",               "--size must be at least 8 for pingpong"),
                bad("--target h:1 --transport raw",           "--transport raw needs the embedded server"),
                bad("--target h:1 --transport both",          "--transport both needs the embedded server"),
                bad("--target h:1 --server-loops 2",          "--server-loops sets up the embedded server; drop it or --target"),
                bad("--acks maybe",                           "--acks: 'maybe' is not on, off or both"),
                bad("--acks on --security off",               "--acks on needs secure streams"),
                bad("--acks both --transport both",           "--acks both needs secure streams"),
                bad("--acks both --compression both",         "--acks both compares streams without and with acknowledgements"),
                bad("--acks on --mode broadcast",             "--acks applies to --mode oneway and pingpong"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void badInputs(String line, String expected) {
        ParameterException e = assertThrows(ParameterException.class, () -> BenchCommand.parse(line.split(" ")));
        assertTrue(e.getMessage().contains(expected), () -> "for '" + line + "' expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void durationsPrintAsTheyAreWritten() {
        assertEquals("500ms", BenchOptions.format(Duration.ofMillis(500)));
        assertEquals("10s", BenchOptions.format(Duration.ofSeconds(10)));
        assertEquals("2m", BenchOptions.format(Duration.ofMinutes(2)));
        assertEquals("0ms", BenchOptions.format(Duration.ZERO));
    }

    @FunctionalInterface
    interface Check {
        boolean holds(BenchOptions options);
    }

    private static Arguments row(String line, Check check) {
        return Arguments.of(line, check);
    }

    private static Arguments bad(String line, String expected) {
        return Arguments.of(line, expected);
    }
}
