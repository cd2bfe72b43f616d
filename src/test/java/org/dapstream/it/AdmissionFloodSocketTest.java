package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A flood of partial handshakes over real sockets: 8 source addresses (127.0.0.2..9) hold 32
 * connections each that send 3 bytes and then nothing, each re-opened as soon as the node
 * ends it, for {@link #FLOOD}; meanwhile an honest connector from a ninth address
 * (127.0.0.10) runs full secure handshakes, spread over the flood. Without admission by
 * proof (first-frame deadline, eviction of the oldest unproven connection) the 256
 * connections fill the handshake cap and every honest handshake gets HANDSHAKE_BUSY.
 */
class AdmissionFloodSocketTest {
    /** How long the flood lasts (the honest handshakes are spread inside it). */
    static final Duration FLOOD = Duration.ofSeconds(20);
    static final int ATTACK_ADDRESSES = 8;
    static final int CONNECTIONS_PER_ADDRESS = 32;
    static final int HONEST_HANDSHAKES = 10;
    static final int REQUIRED_SUCCESSES = 9;
    /** The honest connector gives one handshake this long (the node's setup timeout is 5 s). */
    static final int HANDSHAKE_READ_TIMEOUT_MS = 5_000;
    static final String HONEST_ADDRESS = "127.0.0.10";

    @Test
    void anHonestClientGetsThroughWhenPartialHandshakesFillTheNodeCap() throws Exception {
        // The loopback addresses all share 127.0.0.0/24, where the attacker modelled here holds 8 addresses
        // anywhere: the prefix cap is raised to the node cap so that, as in that attack, the node-wide cap is what fills.
        HandshakeGate gate = new HandshakeGate(HandshakeGate.DEFAULT_MAX_TOTAL, HandshakeGate.DEFAULT_MAX_PER_ADDRESS,
                HandshakeGate.DEFAULT_MAX_TOTAL, HandshakeGate.DEFAULT_FIRST_FRAME_TIMEOUT);
        Result r = flood(gate, FLOOD);
        System.out.println("admission flood, node cap: " + r);
        assertTrue(r.successes >= REQUIRED_SUCCESSES, "honest handshakes completed: " + r);
        assertTrue(r.peakInProgress >= HandshakeGate.DEFAULT_MAX_TOTAL - ATTACK_ADDRESSES,
                "the flood filled the node cap (peak " + r.peakInProgress + "): " + r);
    }

    @Test
    void anHonestClientInTheFloodersPrefixGetsThroughWithTheDefaultCaps() throws Exception {
        // Default caps: the 8 flooding addresses and the honest one share a /24, so the prefix cap binds.
        Result r = flood(HandshakeGate.defaults(), FLOOD.dividedBy(2));
        System.out.println("admission flood, default caps, one /24: " + r);
        assertTrue(r.successes >= REQUIRED_SUCCESSES, "honest handshakes completed: " + r);
        assertTrue(r.peakInProgress <= HandshakeGate.DEFAULT_MAX_PER_PREFIX, "the /24 held at most its cap: " + r);
    }

    record Result(int successes, List<String> failures, long floodConnections, long evictions, long setupTimeouts,
                  int peakInProgress, List<Long> handshakeMillis) {
    }

    private Result flood(HandshakeGate gate, Duration length) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        SecureRandom random = new SecureRandom();
        StreamSecurity security = StreamSecurity.of(HandshakeSettings.defaults(
                NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random), random));
        StreamCounters counters = new StreamCounters();
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 2, StreamConfig.defaults(),
                NodeAddress.NONE, security, gate), ChannelRegistry.withDiagnostics(), new Sessions(), counters);
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder opened = new LongAdder();
        List<Thread> flooders = new ArrayList<>();
        try {
            server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            int port = server.port();
            for (int a = 0; a < ATTACK_ADDRESSES; a++) {
                InetAddress from = InetAddress.getByName("127.0.0." + (2 + a));
                for (int c = 0; c < CONNECTIONS_PER_ADDRESS; c++) {
                    Thread t = new Thread(() -> holdPartialHandshakes(from, port, stop, opened), "flood-" + from.getHostAddress() + "-" + c);
                    t.setDaemon(true);
                    flooders.add(t);
                    t.start();
                }
            }
            long start = System.nanoTime();
            long spacing = (length.toMillis() - 1_500) / HONEST_HANDSHAKES;
            int peak = 0;
            int successes = 0;
            List<String> failures = new ArrayList<>();
            List<Long> took = new ArrayList<>();
            for (int i = 0; i < HONEST_HANDSHAKES; i++) {
                long due = start + TimeUnit.MILLISECONDS.toNanos(1_000 + i * spacing);
                while (System.nanoTime() < due) {
                    peak = Math.max(peak, server.handshakesInProgress());
                    Thread.sleep(20);
                }
                long t0 = System.nanoTime();
                try (RawPeer honest = new RawPeer(port, HANDSHAKE_READ_TIMEOUT_MS, HONEST_ADDRESS)) {
                    honest.handshake();
                    successes++;
                    took.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                } catch (IOException | AssertionError e) {
                    failures.add("#" + i + ": " + e.getMessage());
                }
            }
            while (System.nanoTime() - start < length.toNanos()) {
                peak = Math.max(peak, server.handshakesInProgress());
                Thread.sleep(20);
            }
            return new Result(successes, failures, opened.sum(), counters.evictions(), counters.setupTimeouts(), peak, took);
        } finally {
            stop.set(true);
            for (Thread t : flooders) {
                t.join(5_000);
            }
            for (Thread t : flooders) {
                assertFalse(t.isAlive(), t.getName() + " still running");
            }
            server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** One flooding slot: connect, send 3 bytes of a header, wait for the node to end it, again, until stopped. */
    private static void holdPartialHandshakes(InetAddress from, int port, AtomicBoolean stop, LongAdder opened) {
        byte[] partial = {0, 0, 4};
        byte[] sink = new byte[256];
        while (!stop.get()) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(from, 0));
                s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                opened.increment();
                s.getOutputStream().write(partial);
                s.setSoTimeout(200);
                InputStream in = s.getInputStream();
                while (!stop.get()) {
                    try {
                        if (in.read(sink) < 0) {
                            break;
                        }
                    } catch (SocketTimeoutException e) {
                        // still held: look at the stop flag, then keep waiting
                    }
                }
            } catch (IOException e) {
                // reset or refused: open the next one
            }
        }
    }
}
