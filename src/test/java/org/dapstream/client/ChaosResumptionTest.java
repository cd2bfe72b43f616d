package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chaos: a proxy that cuts every connection after a random number of bytes (so cuts land
 * mid-handshake, mid-frame and mid-resumption), and cuts everything now and then besides, while
 * a session echoes sequence-numbered messages of random sizes (some fragmented) on several
 * channels: every message arrives once, in order, with its bytes, in both directions; the
 * session never ends; what either side keeps stays within the session store's bound.
 *
 * <p>The default run is short. The long one (512 MiB each way, at least 1,000 cuts) is
 * {@code ./mvnw -B -ntp -o test -Dtest=ChaosResumptionTest -Ddap.chaos.bytes=536870912
 * -Ddap.chaos.cuts=1000}.
 */
class ChaosResumptionTest {
    /** Bytes echoed per run (each way), over all channels. */
    static final long BYTES = Long.getLong("dap.chaos.bytes", 32L << 20);
    /** Cuts the run must have made before it may end. */
    static final int CUTS = Integer.getInteger("dap.chaos.cuts", 100);
    static final int CHANNELS = 4;
    /** A connection is cut after a uniform random number of bytes up to this (both ways together). */
    static final long CUT_AFTER_MAX_BYTES = 3L << 20;
    static final int LARGEST = 150 * 1024;
    /** How long the writer waits for whenWritable before the run fails (and says what the channel's writes wait on). */
    static final long WRITABLE_WAIT_SECONDS = 120;

    @Test
    @Timeout(3600)
    void everyMessageArrivesOnceInOrderThroughRandomCuts() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        StreamCounters counters = new StreamCounters();
        Sessions sessions = new Sessions(StreamClock.SYSTEM, new SessionResumption(
                new TicketSealer((byte) 1, key, (byte) 0, null, random), Duration.ofSeconds(60), Duration.ofHours(1)));
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 2, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ED25519, random),
                random).withFeatures(Features.ACKS | Features.RESUMPTION)), null), ChannelRegistry.withDiagnostics(), sessions,
                counters);
        server.start().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        CuttingProxy proxy = new CuttingProxy(vertx, server.port());
        StreamClient client = new StreamClient(ClientOptions.defaults());
        try {
            ResumptionSocketTest.Events events = new ResumptionSocketTest.Events();
            ClientSession session = client.connectSession("127.0.0.1", proxy.port(), ResumptionSocketTest.FAST, events)
                    .get(20, TimeUnit.SECONDS);
            SplittableRandom sizes = new SplittableRandom(23);
            List<Integer> sizeList = new ArrayList<>();
            long total = 0;
            while (total < BYTES / CHANNELS) {
                int size = sizes.nextInt(16) == 0 ? ResumptionSocketTest.HEADER + sizes.nextInt(LARGEST)
                        : ResumptionSocketTest.HEADER + sizes.nextInt(2048);
                sizeList.add(size);
                total += size;
            }
            int[] sizeOf = sizeList.stream().mapToInt(Integer::intValue).toArray();
            int messages = sizeOf.length;
            List<ResumptionSocketTest.Checker> checkers = new ArrayList<>();
            List<Channel> channels = new ArrayList<>();
            for (int i = 0; i < CHANNELS; i++) {
                ResumptionSocketTest.Checker c = new ResumptionSocketTest.Checker(i, sizeOf);
                checkers.add(c);
                channels.add(session.openChannel(ChannelType.ECHO, c).get(20, TimeUnit.SECONDS));
            }
            proxy.cutRandomly(CUT_AFTER_MAX_BYTES);
            AtomicLong mostKept = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int n = 0; n < messages; n++) {
                        for (int i = 0; i < CHANNELS; i++) {
                            Channel ch = channels.get(i);
                            if (!ch.write(PacketType.DATA, ResumptionSocketTest.message(i, n, sizeOf[n]))) {
                                String whenFalse = ch.writeState(); // why it said false, should the wake-up never come
                                try {
                                    ch.whenWritable().get(WRITABLE_WAIT_SECONDS, TimeUnit.SECONDS);
                                } catch (TimeoutException e) {
                                    System.out.printf("chaos: the writer of message %d on channel %d was not woken in %d s%n"
                                            + "chaos:   when write said false: %s%nchaos:   now: %s%nchaos:   session suspended %s, %s%n",
                                            n, i, WRITABLE_WAIT_SECONDS, whenFalse, ch.writeState(), session.suspended(),
                                            session.stream());
                                    for (Channel other : channels) {
                                        System.out.println("chaos:   " + other.writeState());
                                    }
                                    throw e;
                                }
                            }
                        }
                        if (n % 64 == 0) {
                            mostKept.accumulateAndGet(session.stream().unacknowledgedBytes(), Math::max);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            SplittableRandom pace = new SplittableRandom(29);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(50);
            long nextReport = System.nanoTime();
            while ((!writer.isDone() || proxy.cuts() < CUTS) && !events.ended.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(5 + pace.nextInt(60));
                if (System.nanoTime() - nextReport > 0) {
                    nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    System.out.printf("chaos: %d cuts, %d connections, %d resumptions, suspended %s, ended %s, echoed %s of %d%n",
                            proxy.cuts(), proxy.connections(), events.resumed.get(), session.suspended(), events.ended.getNow(null),
                            checkers.stream().map(c -> c.next + (c.problem == null ? "" : " (" + c.problem + ")")).toList(), messages);
                    Stream onClient = session.stream();
                    System.out.printf("chaos:   client keeps %d bytes, queues %s; node streams %s%n", onClient.unacknowledgedBytes(),
                            channels.stream().map(Channel::queuedBytes).toList(),
                            counters.liveStreams().stream().map(st -> "keeps " + st.unacknowledgedBytes() + " holds " + st.heldBytes()
                                    + " queues " + st.queuedOutputBytes()).toList());
                    for (ErrorCode code : ErrorCode.values()) {
                        if (counters.errorsSent(code) > 0) {
                            System.out.println("chaos:   node sent " + code + " x" + counters.errorsSent(code));
                        }
                    }
                }
                if (pace.nextInt(4) == 0) {
                    proxy.cutAll();
                }
                if (writer.isDone() && checkers.stream().allMatch(c -> c.next == messages)) {
                    // everything arrived: more cuts must land on an idle session (keepalives, tickets, resumptions)
                    proxy.cutAll();
                }
            }
            assertFalse(events.ended.isDone(), "the session never ended: " + events.ended.getNow(null));
            writer.get(10, TimeUnit.MINUTES);
            proxy.cutRandomly(0);
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!checkers.stream().allMatch(c -> c.next == messages || c.problem != null) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            for (ResumptionSocketTest.Checker c : checkers) {
                assertEquals(null, c.problem);
                assertEquals(messages, c.next, "channel " + c.index + ": every message echoed once, in order");
            }
            assertTrue(proxy.cuts() >= CUTS, "cuts made: " + proxy.cuts());
            assertFalse(events.ended.isDone(), "the session never ended: " + events.ended.getNow(null));
            assertTrue(mostKept.get() <= StreamConfig.defaults().sessionStoreBytes() + CHANNELS * (long) LARGEST,
                    "the client kept at most its store's bound (and the messages written as it filled): " + mostKept.get());
            System.out.printf("chaos: %d messages x %d channels (%d MiB each way), %d connections, %d cuts, %d resumptions%n",
                    messages, CHANNELS, BYTES >> 20, proxy.connections(), proxy.cuts(), events.resumed.get());
        } finally {
            client.close();
            proxy.close();
            server.stop().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }
}
