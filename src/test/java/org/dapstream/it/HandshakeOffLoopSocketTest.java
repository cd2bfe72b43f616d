package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.HandshakeWork;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A node signs, exchanges keys and verifies on its handshake workers, never on the event loop
 * its established streams share: the node's hedged ML-DSA signing and its handshake draws are
 * seen on worker threads while replayed CLIENT_HELLOs arrive, and an established stream's
 * echo keeps answering meanwhile. A full worker queue refuses new handshakes with
 * HANDSHAKE_BUSY, and a handshake whose connection ends while its crypto runs leaves nothing.
 */
class HandshakeOffLoopSocketTest {
    static final long WAIT_MILLIS = 10_000;
    /** Replayed CLIENT_HELLOs of the storm, over {@link #STORM_THREADS} connections at a time. */
    static final int STORM_HANDSHAKES = 160;
    static final int STORM_THREADS = 4;

    /** Notes which threads draw from it once armed: the node's signing and handshake randomness. */
    static final class ThreadRecordingRandom extends SecureRandom {
        volatile boolean armed;
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        @Override
        public void nextBytes(byte[] bytes) {
            if (armed) {
                threads.add(Thread.currentThread().getName());
            }
            super.nextBytes(bytes);
        }
    }

    private Vertx vertx;
    private StreamServer server;
    private StreamCounters counters;
    private final List<StreamClient> clients = new ArrayList<>();
    private final ThreadRecordingRandom random = new ThreadRecordingRandom();

    /** A secure node on one event loop; {@code work} null: the server's own default workers. */
    private void start(HandshakeWork work) throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        NodeIdentity identity = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random);
        StreamSecurity security = StreamSecurity.of(HandshakeSettings.defaults(identity, random));
        counters = new StreamCounters();
        server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(), NodeAddress.NONE,
                work == null ? security : security.withWork(work), new HandshakeGate(1024, 1024)),
                ChannelRegistry.withDiagnostics(), new Sessions(), counters);
        server.start().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        for (StreamClient c : clients) {
            c.close();
        }
        if (server != null) {
            server.stop().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private Stream connect() throws Exception {
        StreamClient client = new StreamClient(ClientOptions.defaults());
        clients.add(client);
        return client.connect("127.0.0.1", server.port()).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    @Timeout(120)
    void signingRunsOnHandshakeWorkersWhileAnEstablishedStreamKeepsEchoing() throws Exception {
        start(null);
        Stream stream = connect();
        LinkedBlockingQueue<Integer> echoes = new LinkedBlockingQueue<>();
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                echoes.add(data.getInt(data.position()));
            }
        }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        random.armed = true;

        // The storm: each connection sends a CLIENT_HELLO (cheap to make, a signature to answer),
        // reads the SERVER_HELLO and goes.
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> stormFailure = new AtomicReference<>();
        List<Thread> storm = new ArrayList<>();
        for (int t = 0; t < STORM_THREADS; t++) {
            Thread th = new Thread(() -> {
                while (next.getAndIncrement() < STORM_HANDSHAKES && stormFailure.get() == null) {
                    try (RawPeer peer = new RawPeer(server.port(), (int) WAIT_MILLIS)) {
                        peer.send(peer.clientHello());
                        assertEquals(0, peer.await(PacketType.CONTROL, 0).channel());
                        answered.incrementAndGet();
                    } catch (Throwable e) {
                        stormFailure.compareAndSet(null, e);
                    }
                }
            }, "storm-" + t);
            th.start();
            storm.add(th);
        }
        int roundTrips = 0;
        while (storm.stream().anyMatch(Thread::isAlive)) {
            byte[] ping = ByteBuffer.allocate(16).putInt(roundTrips).array();
            echo.write(PacketType.DATA, ping);
            Integer back = echoes.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertEquals(roundTrips, back, "echo " + roundTrips + " came back during the storm");
            roundTrips++;
        }
        for (Thread th : storm) {
            th.join(WAIT_MILLIS);
        }
        assertNull(stormFailure.get(), () -> "storm connection failed: " + stormFailure.get());
        assertEquals(STORM_HANDSHAKES, answered.get(), "every replayed CLIENT_HELLO was answered");
        random.armed = false;

        Set<String> threads = Set.copyOf(random.threads);
        assertFalse(threads.isEmpty(), "the node signed");
        for (String name : threads) {
            assertTrue(name.startsWith(HandshakeWorkers.THREAD_PREFIX), "signed or drew handshake randomness on " + name
                    + " (all: " + threads + ")");
        }
        assertTrue(roundTrips >= 10, "the established stream echoed during the storm: " + roundTrips);
        System.out.printf("[handshake-off-loop] %d handshakes answered, %d echoes meanwhile, crypto on %s%n",
                answered.get(), roundTrips, threads);
    }

    @Test
    @Timeout(60)
    void aFullWorkerQueueRefusesNewHandshakesWithHandshakeBusy() throws Exception {
        HandshakeWorkers workers = new HandshakeWorkers(1, 1);
        start(workers);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        assertTrue(workers.submit(() -> {
            holding.countDown();
            await(release);
        }), "the only worker is held");
        assertTrue(holding.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
        assertTrue(workers.submit(() -> { }), "the one queue place is taken");
        try (RawPeer peer = new RawPeer(server.port(), (int) WAIT_MILLIS)) {
            peer.send(peer.clientHello());
            peer.assertEndsWithError("worker queue full", ErrorCode.HANDSHAKE_BUSY);
        }
        assertEquals(1, counters.handshakes(HandshakeOutcome.REJECTED_BUSY));
        release.countDown();
        assertNotNull(connect(), "with the workers free again, handshakes complete");
    }

    @Test
    @Timeout(60)
    void aHandshakeWhoseConnectionEndsWhileItsCryptoWaitsCostsNothingAndLeavesNoSession() throws Exception {
        HandshakeWorkers workers = new HandshakeWorkers(1, 8);
        start(workers);
        CountDownLatch release = new CountDownLatch(1);
        assertTrue(workers.submit(() -> await(release)));
        try (RawPeer peer = new RawPeer(server.port(), (int) WAIT_MILLIS)) {
            peer.send(peer.clientHello()); // its step waits behind the held worker
            awaitTrue(() -> workers.waiting() == 1, "the CLIENT_HELLO's step is queued");
        }
        awaitTrue(() -> server.streams().isEmpty(), "the stream ended with its connection");
        random.armed = true; // the node's handshake draws: none may come from the abandoned step
        CountDownLatch stepRan = new CountDownLatch(1);
        release.countDown();
        assertTrue(workers.submit(stepRan::countDown));
        assertTrue(stepRan.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the queue moved past the abandoned step");
        random.armed = false;
        // Its connection, and with it its admission slot, is gone: its crypto must not run, or
        // connections that send a CLIENT_HELLO and close at once would queue signatures unbounded.
        assertEquals(Set.of(), random.threads, "the abandoned step signed or drew keys");
        // Its result goes back to the ended stream, which drops it and the session made for it.
        awaitTrue(() -> server.sessions().size() == 0, "no session is left for the ended stream");
        assertEquals(0, counters.handshakes(HandshakeOutcome.SUCCESS));
        assertNotNull(connect(), "the node goes on");
        assertEquals(1, server.sessions().size());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(5);
        }
    }
}
