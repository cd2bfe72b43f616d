package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.StreamCaps;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A measurement, not a CI test (tagged {@code soak}, named so surefire does not pick it up by
 * default): the Java heap an idle resumable session keeps, in one JVM holding the node (ML-DSA-65
 * identity, ACKS and RESUMPTION) and the client. Each session has one ECHO channel that has
 * echoed one 1 KiB message and then sat idle until every acknowledgement went out.
 * <ul>
 * <li>running: N sessions open, node and client together, against the heap with the client
 * idle and no session;
 * <li>closed: the same N closed by the client, read against that baseline again: what the sessions left behind;
 * <li>suspended: N sessions cut at a proxy that then refuses, their client closed, so only the
 * node's waiting state remains (what the node keeps per session until the expiry), against the
 * heap of the node alone; and after the expiry, against that baseline again.
 * </ul>
 * The heap is read with {@link MemoryMXBean} after {@link #GC_CYCLES} calls of
 * {@code System.gc()} (a full collection with G1 and Serial), the smallest used figure of them.
 *
 * <pre>
 * ./mvnw -B -ntp -o test -Dtest=IdleSessionMemoryMeasurement -Ddap.test.excludedGroups=jazzer -Dsurefire.failIfNoSpecifiedTests=false [-Ddap.idle.sessions=1000] [-Djvm=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
 * </pre>
 */
@Tag("soak")
class IdleSessionMemoryMeasurement {
    static final int SESSIONS = Integer.getInteger("dap.idle.sessions", 1000);
    /** Sessions opened and closed (and suspended, fewer) before any reading: classes loaded, code compiled, pools grown. */
    static final int WARM_UP_SESSIONS = 50;
    static final int WARM_UP_SUSPENDED = 10;
    /** Handshakes in flight at once while opening: enough to keep both cores busy, few enough not to time out. */
    static final int OPENING_IN_FLIGHT = 16;
    static final int MESSAGE_BYTES = 1024;
    /** Idle time after the echoes so every acknowledgement has been sent and taken in. */
    static final Duration SETTLE = Duration.ofSeconds(2);
    /** How long a suspended session waits at the node: long enough to read the heap with all of them waiting. */
    static final Duration EXPIRY = Duration.ofSeconds(Long.getLong("dap.idle.expiry-seconds", 20));
    static final int GC_CYCLES = 5;
    static final long GC_PAUSE_MILLIS = 200;
    static final int TIMEOUT_SECONDS = 60;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final StreamCounters nodeCounters = new StreamCounters();

    @Test
    void heapPerIdleResumableSession() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        Sessions sessions = new Sessions(StreamClock.SYSTEM, new SessionResumption(
                new TicketSealer((byte) 1, key, (byte) 0, null, random), EXPIRY, Duration.ofHours(1)));
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 2, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random),
                random).withFeatures(Features.ACKS | Features.RESUMPTION)), null, caps()), ChannelRegistry.withDiagnostics(),
                sessions, nodeCounters);
        server.start().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        CuttingProxy proxy = new CuttingProxy(vertx, server.port());
        try {
            System.out.printf("JVM %s, GC %s, max heap %d MiB%n", Runtime.version(), collectors(),
                    memory.getHeapMemoryUsage().getMax() >> 20);
            warmUp(server.port(), proxy, sessions);

            // running and closed: node and client in this JVM
            StreamClient client = new StreamClient(ClientOptions.defaults());
            long baseline = usedAfterGc();
            List<ClientSession> open = openIdle(client, server.port(), SESSIONS);
            assertEquals(SESSIONS, sessions.size(), "the node holds every session");
            long running = usedAfterGc();
            System.out.printf("idle resumable session: N=%d, %d bytes per session (node + client, one JVM)%n",
                    SESSIONS, (running - baseline) / SESSIONS);
            closeAll(open);
            open = null;
            await(() -> sessions.size() == 0 && nodeCounters.liveStreams().isEmpty(), "the node forgot every closed session");
            long closed = usedAfterGc();
            System.out.printf("after closing them: %+d bytes against the baseline (%d bytes per session)%n",
                    closed - baseline, (closed - baseline) / SESSIONS);
            client.close();

            // suspended: only the node's waiting state remains
            long nodeBaseline = usedAfterGc();
            StreamClient leaving = new StreamClient(ClientOptions.defaults());
            suspend(leaving, proxy, sessions, SESSIONS);
            leaving = null;
            long suspended = usedAfterGc();
            assertEquals(SESSIONS, sessions.suspendedCount(), "every session still waits at the node while the heap is read");
            System.out.printf("suspended resumable session: N=%d, %d bytes per session (node only), %d bytes kept for peers in all%n",
                    SESSIONS, (suspended - nodeBaseline) / SESSIONS, sessions.suspendedBytes());
            await(() -> sessions.size() == 0, "every suspended session expired");
            long expired = usedAfterGc();
            System.out.printf("after the expiry: %+d bytes against the node's baseline (%d bytes per session)%n",
                    expired - nodeBaseline, (expired - nodeBaseline) / SESSIONS);
        } finally {
            proxy.close();
            server.stop().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** The default connection caps, raised so that N sessions fit: every connection here comes from 127.0.0.1. */
    private static StreamCaps caps() {
        return new StreamCaps(Math.max(StreamCaps.DEFAULT_MAX_STREAMS, 2 * SESSIONS),
                Math.max(StreamCaps.DEFAULT_MAX_STREAMS_PER_ADDRESS, 2 * SESSIONS));
    }

    /** Every path the readings take, once, on a client thrown away after. */
    private void warmUp(int port, CuttingProxy proxy, Sessions sessions) throws Exception {
        StreamClient client = new StreamClient(ClientOptions.defaults());
        closeAll(openIdle(client, port, WARM_UP_SESSIONS));
        await(() -> sessions.size() == 0, "the node forgot the warm-up sessions");
        suspend(client, proxy, sessions, WARM_UP_SUSPENDED);
        await(() -> sessions.size() == 0, "the suspended warm-up sessions expired");
    }

    /**
     * Opens {@code n} sessions through the proxy, lets them settle, cuts every connection with
     * the proxy refusing new ones, waits until the node holds all {@code n} suspended, then
     * closes the client (its CLOSE cannot reach the node) and lets the proxy accept again.
     */
    private void suspend(StreamClient client, CuttingProxy proxy, Sessions sessions, int n) throws Exception {
        List<ClientSession> open = openIdle(client, proxy.port(), n);
        assertEquals(n, sessions.size(), "the node holds every session");
        proxy.refuse(true);
        proxy.cutAll();
        await(() -> sessions.suspendedCount() == n, "the node suspended every session");
        client.close();
        proxy.refuse(false);
        assertEquals(n, open.size());
    }

    /** Opens {@code n} sessions, each with an ECHO channel that echoed one message, then waits until they are idle. */
    private List<ClientSession> openIdle(StreamClient client, int port, int n) throws Exception {
        List<ClientSession> open = new ArrayList<>(n);
        AtomicInteger echoed = new AtomicInteger();
        ChannelHandler counting = new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                if (data.remaining() == MESSAGE_BYTES) {
                    echoed.incrementAndGet();
                }
            }
        };
        byte[] message = new byte[MESSAGE_BYTES];
        for (int from = 0; from < n; from += OPENING_IN_FLIGHT) {
            List<CompletableFuture<ClientSession>> batch = new ArrayList<>();
            for (int i = from; i < Math.min(n, from + OPENING_IN_FLIGHT); i++) {
                batch.add(client.connectSession("127.0.0.1", port, SessionOptions.defaults(), SessionListener.NONE)
                        .thenCompose(s -> s.openChannel(ChannelType.ECHO, counting)
                                .thenApply(ch -> {
                                    ch.write(PacketType.DATA, message);
                                    return s;
                                })));
            }
            for (CompletableFuture<ClientSession> f : batch) {
                open.add(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
        }
        await(() -> echoed.get() == n, "every session echoed its message");
        Thread.sleep(SETTLE.toMillis());
        await(() -> open.stream().allMatch(s -> !s.suspended() && s.stream().unacknowledgedBytes() == 0),
                "the node acknowledged everything the client sent");
        await(() -> nodeCounters.liveStreams().stream().allMatch(s -> s.unacknowledgedBytes() == 0),
                "the client acknowledged everything the node sent");
        return open;
    }

    private static void closeAll(List<ClientSession> open) throws Exception {
        for (ClientSession s : open) {
            s.close();
        }
        for (ClientSession s : open) {
            s.closed().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** The heap in use after {@link #GC_CYCLES} full collections: the smallest reading of them. */
    private long usedAfterGc() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < GC_CYCLES; i++) {
            System.gc();
            Thread.sleep(GC_PAUSE_MILLIS);
            least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    private static String collectors() {
        List<String> names = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(gc.getName());
        }
        return String.join(", ", names);
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS) + EXPIRY.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
