package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A peer that never reads and floods what makes the server answer (pings, OPENs of a type
 * nobody serves, DISCARD report requests, ECHO data) cannot grow the server past its output
 * budget: the server stops reading that connection, a concurrent stream on the same event
 * loop keeps its round trips, and past the stall timeout the flooder's stream ends with
 * OUTPUT_STALLED. Each flood prints the server's memory growth (heap after GC plus pooled
 * direct memory) at its peak.
 */
@ParameterizedClass(name = "over {0}")
@EnumSource(Transport.class)
class OutputBudgetSocketTest {
    /** The same test over TCP and over WebSocket. */
    @Parameter
    Transport transport;

    static final int BUDGET = StreamConfig.DEFAULT_OUTPUT_BUDGET;
    /** Shorter than the 10 s default so the test ends sooner; the mechanism is the same. */
    static final Duration STALL = Duration.ofSeconds(4);
    /** What one read's worth of input can make the server owe on top of the budget before it stops reading. */
    static final long READ_SLACK = 1024 * 1024;
    /**
     * Growth of heap and pooled direct memory allowed for one flooded stream: the budget, up to
     * 65,536 held messages, and the measure's own noise (the direct pool grows by 4 MiB chunks,
     * and this JVM runs the test and both clients too). Without the budget each flood grew it by 110-270 MiB.
     */
    static final long MEMORY_BOUND = 24L * 1024 * 1024;
    /** What the flooder tries to send: far more than the budget (the old server held all of its answers). */
    static final long FLOOD_BYTES = 64L * 1024 * 1024;
    /** Frames per socket write of the flooder. */
    static final int BATCH = 2048;
    static final long END_WAIT_MILLIS = 30_000;
    /** Keepalive timeout of the node whose peer reads its backlog again (longer than reading it takes). */
    static final java.time.Duration PATIENT_KEEPALIVE_TIMEOUT = java.time.Duration.ofSeconds(30);
    static final ChannelType UNSERVED = ChannelType.custom(0x7E);
    static final long MEMORY_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);
    /** Gap between the two samples of one memory reading. */
    static final long CONFIRM_MILLIS = 250;

    private LoopbackServer server;
    private StreamClient client;

    @BeforeEach
    void start() throws Exception {
        server = LoopbackServer.start(StreamConfig.defaults().withOutputBudget(BUDGET, STALL), ChannelRegistry.withDiagnostics(), transport);
        client = LoopbackServer.client(StreamConfig.defaults());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    @Timeout(90)
    void pingFlood() throws Exception {
        byte[] ping = new byte[KeepAlivePayload.SIZE];
        KeepAlivePayload.encode(ping, 0, false, 1);
        flood("pings", peer -> { }, peer -> peer.frame(PacketType.KEEPALIVE, 0, 0, ping));
    }

    @Test
    @Timeout(90)
    void opensOfAnUnservedTypeFlood() throws Exception {
        byte[] open = ControlCodec.encode(new ControlMessage.OpenChannel(1, UNSERVED, 0));
        flood("OPENs of an unserved type", peer -> { }, peer -> peer.frame(PacketType.CONTROL, 0, 0, open));
    }

    @Test
    @Timeout(90)
    void discardReportRequestFlood() throws Exception {
        // Empty requests: they take no credit, so only the held-message bound stops them.
        flood("DISCARD report requests", peer -> openOn(peer, ChannelType.DISCARD),
                peer -> peer.frame(PacketType.CONTROL, 1, 0, new byte[0]));
    }

    @Test
    @Timeout(90)
    void echoDataFlood() throws Exception {
        flood("ECHO data", peer -> openOn(peer, ChannelType.ECHO), peer -> peer.frame(PacketType.DATA, 1, 0, new byte[0]));
    }

    /**
     * The budget is back-pressure, not a verdict: a peer that stops reading and then reads its
     * backlog is read again (its next ping is answered) and keeps its stream.
     */
    @Test
    @Timeout(90)
    void aPeerThatReadsAgainIsReadAgain() throws Exception {
        // The default stall timeout: time enough to notice the flooder is held, then drain. This
        // raw peer never answers the node's pings and is silent while it reads its backlog of
        // pongs, which on a loaded machine can outlast the default 3 s keepalive timeout: that
        // would end the stream for a reason this test is not about, so the timeout is long here.
        StreamConfig config = StreamConfig.defaults().withKeepAlive(StreamConfig.DEFAULT_KEEPALIVE_INTERVAL, PATIENT_KEEPALIVE_TIMEOUT);
        try (LoopbackServer patient = LoopbackServer.start(config, ChannelRegistry.withDiagnostics(), transport)) {
            Set<Stream> before = new HashSet<>(patient.counters().liveStreams());
            try (RawPeer peer = patient.rawPeer((int) END_WAIT_MILLIS)) {
                peer.handshake();
                Stream stream = awaitNewStreamOn(patient, before);
                byte[] ping = new byte[KeepAlivePayload.SIZE];
                KeepAlivePayload.encode(ping, 0, false, 1);
                AtomicLong written = new AtomicLong();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread flooder = new Thread(() -> {
                    try {
                        ByteArrayOutputStream batch = new ByteArrayOutputStream();
                        while (!stop.get() && written.get() < FLOOD_BYTES) {
                            batch.reset();
                            for (int i = 0; i < BATCH; i++) {
                                batch.writeBytes(peer.frame(PacketType.KEEPALIVE, 0, 0, ping));
                            }
                            peer.send(batch.toByteArray());
                            written.addAndGet(batch.size());
                        }
                    } catch (IOException | IllegalStateException e) {
                        // ended by the server: the assertions below say so
                    }
                }, "flooder");
                flooder.setDaemon(true);
                flooder.start();
                awaitHeld(written);
                long held = written.get();
                assertTrue(held < FLOOD_BYTES, "the node stopped reading the flooder");

                // Read the backlog; once the flooder's last write went through, one more ping.
                stop.set(true);
                long pongs = 0;
                boolean lastPingSent = false;
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(END_WAIT_MILLIS);
                while (System.nanoTime() < deadline) {
                    KeepAlivePayload pong = KeepAlivePayload.decode(java.nio.ByteBuffer.wrap(peer.await(PacketType.KEEPALIVE, 0).payload()));
                    if (!pong.pong()) {
                        continue; // the node's own keepalive
                    }
                    pongs++;
                    if (pong.timestamp() == 2) {
                        break;
                    }
                    if (!lastPingSent && !flooder.isAlive()) {
                        byte[] last = new byte[KeepAlivePayload.SIZE];
                        KeepAlivePayload.encode(last, 0, false, 2);
                        peer.sendFrame(PacketType.KEEPALIVE, 0, last);
                        lastPingSent = true;
                    }
                }
                System.out.printf("[output-budget] a peer held after %.1f MiB of pings read %d pongs and was read again%n",
                        held / 1048576.0, pongs);
                assertTrue(lastPingSent, "the flooder's held write went through once the peer read");
                assertTrue(stream.active(), "the stream goes on: " + stream + ", ended by " + stream.closed().getNow(null));
                assertEquals(0, patient.counters().errorsSent(ErrorCode.OUTPUT_STALLED), "nobody was ended");
            }
        }
    }

    /** Until the flooder has written nothing for a second: the node stopped reading it. */
    private static void awaitHeld(AtomicLong written) throws InterruptedException {
        long last = -1;
        long since = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(END_WAIT_MILLIS);
        while (System.nanoTime() < deadline) {
            long w = written.get();
            if (w != last) {
                last = w;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > TimeUnit.SECONDS.toNanos(1)) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static void openOn(RawPeer peer, ChannelType type) {
        try {
            peer.open(1, type);
            RawPeer.Frame ack = peer.await(PacketType.CONTROL, 0);
            assertTrue(ControlCodec.decode(java.nio.ByteBuffer.wrap(ack.payload())) instanceof ControlMessage.OpenAck, "OPEN_ACK for " + type);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    interface Setup {
        void on(RawPeer peer);
    }

    interface FrameSource {
        byte[] next(RawPeer peer);
    }

    private void flood(String kind, Setup setup, FrameSource frames) throws Exception {
        Stream honest = server.connect(client);
        Probe probe = Probe.open(honest, "concurrent stream");
        probe.roundTrip();

        Set<Stream> before = new HashSet<>(server.counters().liveStreams());
        try (RawPeer peer = server.rawPeer((int) END_WAIT_MILLIS)) {
            peer.handshake();
            setup.on(peer);
            Stream flooded = awaitNewStream(before);
            long baseline = memoryInUse();

            AtomicLong written = new AtomicLong();
            Thread flooder = new Thread(() -> {
                try {
                    ByteArrayOutputStream batch = new ByteArrayOutputStream();
                    while (written.get() < FLOOD_BYTES) {
                        batch.reset();
                        for (int i = 0; i < BATCH; i++) {
                            batch.writeBytes(frames.next(peer));
                        }
                        peer.send(batch.toByteArray());
                        written.addAndGet(batch.size());
                    }
                } catch (IOException | IllegalStateException e) {
                    // the server ended the connection (or the test closed the peer): the flood is over
                }
            }, "flooder");
            flooder.setDaemon(true);
            flooder.start();

            // Watch until the flooder's stream ends: what the server queues for it, its memory
            // (every MEMORY_SAMPLE_NANOS: a full collection each time), and the concurrent stream's round trips.
            long maxQueued = 0;
            long peak = 0;
            long nextMemorySample = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(END_WAIT_MILLIS);
            while (System.nanoTime() < deadline && !flooded.closed().isDone()) {
                maxQueued = Math.max(maxQueued, flooded.queuedOutputBytes());
                if (System.nanoTime() >= nextMemorySample) {
                    peak = Math.max(peak, heldMemory() - baseline);
                    nextMemorySample = System.nanoTime() + MEMORY_SAMPLE_NANOS;
                }
                probe.roundTrip();
                Thread.sleep(20);
            }
            maxQueued = Math.max(maxQueued, flooded.queuedOutputBytes());
            int roundTrips = probe.roundTrips();
            System.out.printf("[output-budget] %s: flooder wrote %.1f MiB of %d MiB; server queued at most %.2f MiB for it;"
                            + " memory growth (heap after GC + pooled direct) %.1f MiB; %d round trips on the concurrent stream%n",
                    kind, written.get() / 1048576.0, FLOOD_BYTES >> 20, maxQueued / 1048576.0, peak / 1048576.0, roundTrips);

            assertTrue(written.get() < FLOOD_BYTES, kind + ": the server stopped reading the flooder (it wrote all "
                    + (FLOOD_BYTES >> 20) + " MiB)");
            assertTrue(maxQueued <= BUDGET + READ_SLACK, kind + ": the server queued " + maxQueued + " bytes for the flooder, over the budget "
                    + BUDGET + " + " + READ_SLACK);
            assertTrue(peak <= MEMORY_BOUND, kind + ": the server's memory grew by " + peak + " bytes, over " + MEMORY_BOUND);

            CloseReason reason = flooded.closed().get(STALL.toMillis() + END_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            System.out.printf("[output-budget] %s: the flooder's stream ended: %s%n", kind, reason);
            assertEquals(ErrorCode.OUTPUT_STALLED, reason.errorCode(), kind + ": " + reason);
            assertTrue(server.counters().errorsSent(ErrorCode.OUTPUT_STALLED) >= 1, kind + ": counted in errors sent");
            probe.roundTrip(); // the concurrent stream outlives the flooder's
            assertTrue(probe.roundTrips() >= 3, kind + ": round trips went on during the flood: " + probe.roundTrips());
            flooder.join(TimeUnit.SECONDS.toMillis(10) + org.dapstream.transport.VertxTransport.CLOSE_LINGER_MILLIS);
            assertTrue(!flooder.isAlive(), kind + ": the flooder's connection was closed (its blocked write ended)");
        }
    }

    private Stream awaitNewStream(Set<Stream> before) throws InterruptedException {
        return awaitNewStreamOn(server, before);
    }

    private static Stream awaitNewStreamOn(LoopbackServer server, Set<Stream> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            List<Stream> live = server.counters().liveStreams();
            for (Stream s : live) {
                if (!before.contains(s) && s.active()) {
                    return s;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the raw peer's stream did not show up on the server");
    }

    /** Heap in use after a full collection plus Netty's pooled direct memory: what the process holds. */
    static long memoryInUse() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return heap + PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }

    /**
     * Memory held across two samples {@link #CONFIRM_MILLIS} apart: the lower one. What the flooded
     * stream holds stays until its stall timeout ends it, so it shows in both; a passing burst of
     * another thread of this JVM (the test runs beside the whole suite's leftovers, and the direct
     * pool grows by whole chunks) shows in one.
     */
    static long heldMemory() throws InterruptedException {
        long first = memoryInUse();
        Thread.sleep(CONFIRM_MILLIS);
        return Math.min(first, memoryInUse());
    }
}
