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
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A measurement, not a CI test (tagged {@code soak}, named so surefire does not pick it up by
 * default): resumptions per second next to full handshakes per second, alternated in rounds in
 * one JVM against one node (ML-DSA-65 identity, as deployed), both through the same loopback
 * proxy, each a closed loop of one connection at a time: a full handshake is connect, ready,
 * close; a resumption is the proxy cutting the connection and the session running again on a new
 * one (the cut's detection and the client's first back-off, 1 ms at most, included). It also
 * prints the CPU per operation by thread kind.
 *
 * <pre>
 * ./mvnw -B -ntp -o test -Dtest=ResumeRateMeasurement -Ddap.test.excludedGroups=jazzer -Dsurefire.failIfNoSpecifiedTests=false [-Djvm=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
 * </pre>
 */
@Tag("soak")
class ResumeRateMeasurement {
    static final int ROUNDS = Integer.getInteger("dap.resume.rounds", 4);
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
            Semaphore resumed = new Semaphore(0);
            ClientSession session = client.connectSession("127.0.0.1", proxy.port(),
                    new SessionOptions(Duration.ofNanos(1000), Duration.ofMillis(1)), new SessionListener() {
                        @Override
                        public void resumed(ClientSession s, Stream stream, Duration pause, int attempts) {
                            resumed.release();
                        }
                    }).get(20, TimeUnit.SECONDS);
            full(client, proxy.port(), Duration.ofSeconds(3), new long[1]); // warm-up of both paths
            resumes(session, resumed, proxy, Duration.ofSeconds(3), new long[1]);
            double[] ratios = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long cpu0 = cpuNanos();
                Map<String, Long> threads0 = threadCpu();
                long[] fullCount = new long[1];
                double fullRate = full(client, proxy.port(), WINDOW, fullCount);
                long cpu1 = cpuNanos();
                Map<String, Long> threads1 = threadCpu();
                long[] resumeCount = new long[1];
                double resumeRate = resumes(session, resumed, proxy, WINDOW, resumeCount);
                long cpu2 = cpuNanos();
                Map<String, Long> threads2 = threadCpu();
                System.out.printf("round %d CPU per full handshake by thread: %s; the rest of the process %.0f us%n", r + 1,
                        perOperation(threads0, threads1, fullCount[0]), rest(cpu1 - cpu0, threads0, threads1) / 1e3 / fullCount[0]);
                System.out.printf("round %d CPU per resumption by thread: %s; the rest of the process %.0f us%n", r + 1,
                        perOperation(threads1, threads2, resumeCount[0]), rest(cpu2 - cpu1, threads1, threads2) / 1e3 / resumeCount[0]);
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

    /**
     * CPU time of the JVM's Java threads by kind (the name without its trailing number):
     * event loops, handshake workers, the measuring thread. The process's CPU less these is the
     * JVM's own threads (JIT compilers, GC) and the kernel's work for them.
     */
    private static Map<String, Long> threadCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> byKind = new TreeMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                if (cpu > 0) {
                    byKind.merge(info.getThreadName().replaceAll("[-0-9]+$", ""), cpu, Long::sum);
                }
            }
        }
        return byKind;
    }

    /** Microseconds of CPU per operation by thread kind, largest first (threads that ended in between are left out). */
    private static String perOperation(Map<String, Long> before, Map<String, Long> after, long operations) {
        return after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> String.format("%s %.0f us", e.getKey(), e.getValue() / 1e3 / operations)).collect(Collectors.joining(", "));
    }

    private static long rest(long processCpu, Map<String, Long> before, Map<String, Long> after) {
        long java = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            java += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return processCpu - java;
    }

    /** CPU time of the whole process (client, proxy and node: all of them are here), nanoseconds. */
    private static long cpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Full handshakes per second: connect, ready, close, one at a time. */
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

    /**
     * Resumptions per second: the proxy cuts the session's connection, the session runs again on
     * a new one. The measuring thread sleeps until the session's listener says it resumed, so that
     * it takes no CPU from the resumption it measures.
     */
    private static double resumes(ClientSession session, Semaphore resumed, CuttingProxy proxy, Duration window, long[] count)
            throws Exception {
        long end = System.nanoTime() + window.toNanos();
        long start = System.nanoTime();
        int n = 0;
        resumed.drainPermits();
        while (System.nanoTime() < end) {
            Stream before = session.stream();
            assertTrue(proxy.cutAll() > 0, "the proxy cut the session's connection");
            assertTrue(resumed.tryAcquire(20, TimeUnit.SECONDS), "resumed within 20 s");
            assertTrue(session.stream() != before, "the session runs on a new stream");
            n++;
        }
        count[0] = n;
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
