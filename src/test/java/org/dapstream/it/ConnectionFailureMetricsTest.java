package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.dapstream.ops.Management;
import org.dapstream.ops.Scrape;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.transport.Admission;
import org.dapstream.transport.StreamServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Failures that used to leave no trace but a DEBUG line, caused over real sockets and read
 * back from /q/metrics: connections lost or reset, frames half received (the connection
 * ended mid-frame, or a peer dripped a frame past the frame deadline), HANDSHAKE_BUSY
 * refusals and evictions, and refusals by the per-address connection cap. Each scenario
 * uses its own source address (127.0.0.x), so the caps of one do not touch another.
 */
@QuarkusTest
@TestProfile(ConnectionFailureMetricsTest.Limits.class)
class ConnectionFailureMetricsTest {
    static final int FRAME_TIMEOUT_MS = 1_500;
    static final int HANDSHAKES_PER_ADDRESS = 2;
    static final int STREAMS_PER_ADDRESS = 4;
    /** Longer than every deadline of the profile. */
    static final int READ_TIMEOUT_MS = 10_000;

    public static class Limits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dap.stream.frame-timeout", FRAME_TIMEOUT_MS + "ms",
                    "dap.stream.max-streams-per-address", String.valueOf(STREAMS_PER_ADDRESS),
                    "dap.stream.security.handshake.max-per-address", String.valueOf(HANDSHAKES_PER_ADDRESS));
        }
    }

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    StreamEndpoint endpoint;

    private Management mgmt;

    @BeforeEach
    void connect() {
        mgmt = new Management(management);
    }

    private Scrape scrape() {
        Management.Answer a = mgmt.get("/q/metrics");
        assertEquals(200, a.status(), a.body());
        return new Scrape(a.body());
    }

    /** Scrapes until {@code name} has grown by {@code expected} since {@code before} (at most 10 s), and asserts it. */
    private Scrape awaitDelta(Scrape before, long expected, String name, String... labels) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Scrape s = scrape();
        while (s.count(name, labels) - before.count(name, labels) < expected && System.nanoTime() < deadline) {
            Thread.sleep(25);
            s = scrape();
        }
        assertEquals(expected, s.count(name, labels) - before.count(name, labels), name + " " + List.of(labels));
        return s;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 400 && !condition.getAsBoolean(); i++) {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    private StreamServer server() {
        return endpoint.server();
    }

    @Test
    void resetAndClosedConnectionsAndHalfReceivedFramesAreCounted() throws Exception {
        int port = server().port();
        Scrape before = scrape();
        try (RawPeer reset = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.21")) {
            reset.handshake();
            reset.reset();
        }
        Scrape afterReset = awaitDelta(before, 1, "dap_stream_connections_lost_total");
        assertEquals(0, afterReset.count("dap_stream_truncated_frames_total") - before.count("dap_stream_truncated_frames_total"),
                "nothing was half received");

        try (RawPeer halfway = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.22")) {
            halfway.handshake();
            byte[] frame = halfway.frame(PacketType.DATA, 1, 0, new byte[100]);
            halfway.send(java.util.Arrays.copyOf(frame, 40)); // the header and 28 of 116 payload bytes
            Thread.sleep(100); // let the node read them before the FIN
        }
        awaitDelta(afterReset, 1, "dap_stream_connections_lost_total");
        awaitDelta(afterReset, 1, "dap_stream_truncated_frames_total");
    }

    @Test
    void aFrameDrippedAByteAtATimeEndsWithTruncatedFrameAtTheFrameDeadline() throws Exception {
        int port = server().port();
        Scrape before = scrape();
        try (RawPeer drip = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.23")) {
            drip.handshake();
            byte[] header = new byte[FrameHeader.SIZE];
            FrameHeader.write(header, 0, 60 * 1024, PacketType.DATA, 0, 1, Flags.ENCRYPTED);
            drip.send(header);
            long start = System.nanoTime();
            Thread dripper = new Thread(() -> {
                try {
                    for (int i = 0; i < 100; i++) { // a byte every 200 ms: never silent for the 1 s keepalive timeout
                        Thread.sleep(200);
                        drip.send(new byte[] {7});
                    }
                } catch (Exception e) {
                    // the node ended the connection
                }
            }, "dripper");
            dripper.setDaemon(true);
            dripper.start();
            drip.assertEndsWithError("dripped frame", ErrorCode.TRUNCATED_FRAME);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            dripper.interrupt();
            dripper.join(5_000);
            // The deadline is checked every tick (a quarter of the 300 ms keepalive interval of the test profile).
            assertTrue(tookMs >= FRAME_TIMEOUT_MS - 100 && tookMs <= FRAME_TIMEOUT_MS + 1_000,
                    "ended " + tookMs + " ms after the header, the frame deadline is " + FRAME_TIMEOUT_MS + " ms");
        }
        awaitDelta(before, 1, "dap_stream_truncated_frames_total");
        awaitDelta(before, 1, "dap_stream_errors_sent_total", "code", "TRUNCATED_FRAME");
    }

    @Test
    void busyRefusalsAndEvictionsAreCountedAsHandshakeBusy() throws Exception {
        int port = server().port();
        Scrape before = scrape();
        List<RawPeer> held = new ArrayList<>();
        try {
            // Two handshakes begun (CLIENT_HELLO sent) from one address fill its cap: a third is refused.
            for (int i = 0; i < HANDSHAKES_PER_ADDRESS; i++) {
                RawPeer p = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.24");
                p.send(p.clientHello());
                held.add(p);
            }
            await("both handshakes proven", () -> server().handshakesInProgress() == HANDSHAKES_PER_ADDRESS
                    && server().handshakesUnproven() == 0);
            try (RawPeer third = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.24")) {
                List<RawPeer.Frame> frames = third.readUntilClosed();
                assertEquals(1, frames.size(), "one ERROR, then the close: " + frames);
                assertEquals(ErrorCode.HANDSHAKE_BUSY, frames.get(0).closeReason().errorCode());
            }
            Scrape refused = awaitDelta(before, 1, "dap_stream_errors_sent_total", "code", "HANDSHAKE_BUSY");
            awaitDelta(before, 1, "dap_stream_connections_refused_total", "cap", "handshakes_per_address");
            awaitDelta(before, 1, "dap_stream_handshakes_total", "outcome", "rejected_busy");

            // Two connections that sent 3 bytes and no frame: a newcomer from their address takes the older one's slot.
            RawPeer older = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.25").send(new byte[] {0, 0, 1});
            held.add(older);
            await("the first partial one admitted", () -> server().handshakesUnproven() == 1);
            held.add(new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.25").send(new byte[] {0, 0, 1}));
            await("both partial ones admitted", () -> server().handshakesUnproven() == 2);
            RawPeer newcomer = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.25");
            held.add(newcomer);
            newcomer.send(newcomer.clientHello());
            List<RawPeer.Frame> frames = older.readUntilClosed();
            assertEquals(1, frames.size(), "one ERROR, then the close: " + frames);
            CloseReason reason = frames.get(0).closeReason();
            assertEquals(ErrorCode.HANDSHAKE_BUSY, reason.errorCode());
            assertEquals(Admission.EVICTED_REASON, reason.reason());
            awaitDelta(refused, 1, "dap_stream_handshakes_evicted_total");
            awaitDelta(refused, 1, "dap_stream_errors_sent_total", "code", "HANDSHAKE_BUSY");
            newcomer.finishHandshake(); // the newcomer got the slot and completes
        } finally {
            for (RawPeer p : held) {
                p.close();
            }
        }
    }

    @Test
    void thePerAddressConnectionCapRefusesWithResourceExhausted() throws Exception {
        int port = server().port();
        Scrape before = scrape();
        List<RawPeer> held = new ArrayList<>();
        try {
            for (int i = 0; i < STREAMS_PER_ADDRESS; i++) {
                held.add(new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.26").handshake());
            }
            try (RawPeer over = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.26")) {
                List<RawPeer.Frame> frames = over.readUntilClosed();
                assertEquals(1, frames.size(), "one ERROR, then the close: " + frames);
                assertEquals(ErrorCode.RESOURCE_EXHAUSTED, frames.get(0).closeReason().errorCode());
            }
            awaitDelta(before, 1, "dap_stream_connections_refused_total", "cap", "streams_per_address");
            awaitDelta(before, 1, "dap_stream_errors_sent_total", "code", "RESOURCE_EXHAUSTED");
            try (RawPeer other = new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.27")) {
                other.handshake(); // another address is not affected
            }
            int open = server().connections();
            held.remove(0).close();
            await("the closed connection is no longer counted", () -> server().connections() < open);
            held.add(new RawPeer(port, READ_TIMEOUT_MS, "127.0.0.26").handshake()); // its place is free again
        } finally {
            for (RawPeer p : held) {
                p.close();
            }
        }
    }
}
