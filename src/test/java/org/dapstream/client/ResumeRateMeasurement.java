package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.OperatingSystemMXBean;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A measurement, not a CI test (tagged {@code soak}, named so surefire does not pick it up by
 * default): resumptions per second next to full handshakes per second, alternated in rounds in
 * one JVM against one node (ML-DSA-65 identity, as deployed), both through the same loopback
 * proxy, each a closed loop of one connection at a time: a full handshake is connect, ready,
 * close; a resumption is the proxy cutting the connection and the session running again on a new
 * one (the cut's detection and the client's first back-off, 1 ms at most, included).
 *
 * <pre>
 * ./mvnw -B -ntp -o test -Dtest=ResumeRateMeasurement -Ddap.test.excludedGroups=jazzer -Dsurefire.failIfNoSpecifiedTests=false [-Djvm=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
 * </pre>
 */
@Tag("soak")
class ResumeRateMeasurement {
    static final int ROUNDS = Integer.getInteger("dap.resume.rounds", 4);
    /** How often the resumption loop looks whether the session runs again. */
    static final long POLL_NANOS = 20_000;
    static final Duration WINDOW = Duration.ofSeconds(Long.getLong("dap.resume.seconds", 5));

    @Test
    void resumptionsAgainstFullHandshakes() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random),
                random).withFeatures(Features.ACKS | Features.RESUMPTION)), null), ChannelRegistry.withDiagnostics(),
                new Sessions(StreamClock.SYSTEM, new SessionResumption(new TicketSealer((byte) 1, key, (byte) 0, null, random),
                        Duration.ofSeconds(60), Duration.ofHours(1))), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        CuttingProxy proxy = new CuttingProxy(vertx, server.port());
        StreamClient client = new StreamClient(ClientOptions.defaults());
        try {
            ClientSession session = client.connectSession("127.0.0.1", proxy.port(),
                    new SessionOptions(Duration.ofNanos(1000), Duration.ofMillis(1)), SessionListener.NONE).get(20, TimeUnit.SECONDS);
            full(client, proxy.port(), Duration.ofSeconds(3), new long[1]); // warm-up of both paths
            resumes(session, proxy, Duration.ofSeconds(3), new long[1]);
            double[] ratios = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long cpu0 = cpuNanos();
                long[] fullCount = new long[1];
                double fullRate = full(client, proxy.port(), WINDOW, fullCount);
                long cpu1 = cpuNanos();
                long[] resumeCount = new long[1];
                double resumeRate = resumes(session, proxy, WINDOW, resumeCount);
                long cpu2 = cpuNanos();
                ratios[r] = resumeRate / fullRate;
                double fullCpu = (cpu1 - cpu0) / 1e3 / fullCount[0];
                double resumeCpu = (cpu2 - cpu1) / 1e3 / resumeCount[0];
                System.out.printf("round %d (%s): full handshakes %.0f/s at %.0f us CPU each, resumptions %.0f/s at %.0f us CPU each;"
                        + " resumptions/full %.2f by rate, %.2f by CPU%n",
                        r + 1, Runtime.version(), fullRate, fullCpu, resumeRate, resumeCpu, ratios[r], fullCpu / resumeCpu);
            }
            for (double ratio : ratios) {
                assertTrue(ratio > 0);
            }
        } finally {
            client.close();
            proxy.close();
            server.stop().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    /** Full handshakes per second: connect, ready, close, one at a time. */
    /** CPU time of the whole process (client, proxy and node: all of them are here), nanoseconds. */
    private static long cpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double full(StreamClient client, int port, Duration window, long[] count) throws Exception {
        long end = System.nanoTime() + window.toNanos();
        long start = System.nanoTime();
        int n = 0;
        while (System.nanoTime() < end) {
            Stream s = client.connect("127.0.0.1", port).get(20, TimeUnit.SECONDS);
            s.close();
            s.closed().get(20, TimeUnit.SECONDS);
            n++;
        }
        count[0] = n;
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** Resumptions per second: the proxy cuts the session's connection, the session runs again on a new one. */
    private static double resumes(ClientSession session, CuttingProxy proxy, Duration window, long[] count) throws Exception {
        long end = System.nanoTime() + window.toNanos();
        long start = System.nanoTime();
        int n = 0;
        while (System.nanoTime() < end) {
            Stream before = session.stream();
            proxy.cutAll();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while ((session.stream() == before || session.suspended()) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(POLL_NANOS); // not a spin: the CPU per resumption is measured
            }
            assertTrue(session.stream() != before && !session.suspended(), "resumed within 20 s");
            n++;
        }
        count[0] = n;
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
