package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fairness over a real socket: while one channel sends a 100 MB message, 64-byte
 * messages on another channel of the same stream keep a bounded round-trip latency (the
 * send ring interleaves one frame per channel per turn), and the big message arrives intact.
 */
class FairnessSocketTest {
    static final int BIG = 100_000_000;
    static final int SMALL = 64;
    /** Room for the 100 MB message on both sides (it is reassembled whole before delivery). */
    static final int MESSAGE_LIMIT = 128 * 1024 * 1024;
    /**
     * Bound on the slowest small round trip that ended while the big message was in transfer
     * (before its handler ran), as a share of that transfer's time: a channel that had to wait
     * for the whole 100 MB would wait about the whole transfer (share ~1). Measured here
     * (2 shared cores, round trips ending before delivery): max 140-474 ms of 1.1-2.2 s
     * transfers, shares 0.13-0.22 (occasional stalls of the whole process, from allocating
     * and zeroing the 100 MB buffers, not from the send ring). Such a stall of the whole process
     * stops every thread, so the bound adds the longest one a separate thread saw during the
     * transfer (a fast transfer of 0.46 s once met a 276 ms stall). Round trips that ended after the
     * handler ran are reported, not bounded: the test's handler copies 100 MB on the event loop,
     * and one measured 527 ms that way.
     */
    static final double MAX_ROUND_TRIP_SHARE = 0.5;
    /**
     * Bound on the median small round trip during the transfer. Measured here with the default
     * (fixed) windows: 2.6-3.8 ms; with windows grown to 8 / 16 MiB it was 23-32 ms, the bulk
     * channel's extra bytes queueing in the socket buffers ahead of every small frame
     * (docs/decisions/0113-windows-grow-off-by-default.md), so this bound is what keeps that trade visible.
     */
    static final double MAX_MEDIAN_ROUND_TRIP_MILLIS = 20;
    /** Fewer samples than this means the big message went too fast to show anything. */
    static final int MIN_SAMPLES = 20;

    @Test
    @Timeout(120)
    void smallMessagesKeepABoundedLatencyDuringAHundredMegabyteMessage() throws Exception {
        CompletableFuture<String> bigDigest = new CompletableFuture<>();
        // When the whole message reached the handler: after it the test's own handler copies
        // 100 MB on the event loop (and allocates it), which stalls that loop by design; the
        // fairness bound is about the transfer, so it counts round trips that ended before.
        AtomicLong deliveredAt = new AtomicLong(Long.MAX_VALUE);
        ChannelRegistry services = ChannelRegistry.withDiagnostics().register(ChannelType.FILE, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                deliveredAt.compareAndSet(Long.MAX_VALUE, System.nanoTime());
                // Hash off the event loop: 100 MB of SHA-256 there would stall the echo itself.
                byte[] copy = new byte[data.remaining()];
                data.get(copy);
                CompletableFuture.runAsync(() -> {
                    try {
                        bigDigest.complete(copy.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(copy)));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        bigDigest.completeExceptionally(e);
                    }
                });
            }
        });
        StreamConfig config = StreamConfig.defaults().withFlow(FlowConfig.defaults()
                .withMessageLimits(MESSAGE_LIMIT, MESSAGE_LIMIT, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT));
        byte[] big = new byte[BIG];
        new SplittableRandom(7).nextBytes(big);
        String expected = BIG + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));

        try (LoopbackServer server = LoopbackServer.start(config, services);
             StreamClient client = LoopbackServer.client(config)) {
            Stream stream = server.connect(client);
            Channel file = stream.openChannel(ChannelType.FILE, new ChannelHandler() { }).get(10, TimeUnit.SECONDS);
            Probe small = Probe.open(stream, "small", SMALL);
            for (int i = 0; i < 20; i++) {
                small.roundTrip(); // warm up: the first round trips pay for class loading and JIT
            }
            long[] samples = new long[100_000];
            long[] endedAt = new long[samples.length];
            int n = 0;
            ProcessStalls stalls = ProcessStalls.start();
            long start = System.nanoTime();
            CompletableFuture<Void> sent = file.send(PacketType.DATA, big);
            while (!bigDigest.isDone() && n < samples.length) {
                long began = System.nanoTime();
                samples[n] = small.roundTrip();
                endedAt[n++] = began + samples[n - 1];
            }
            double stallMillis = stalls.stopAndMaxMillis();
            String got = bigDigest.get(60, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            sent.get(10, TimeUnit.SECONDS);
            assertEquals(expected, got, "the 100 MB message arrives intact (size, SHA-256)");

            long transferEnd = deliveredAt.get();
            int during = 0;
            long[] sorted = new long[n];
            for (int i = 0; i < n; i++) {
                if (endedAt[i] < transferEnd) {
                    sorted[during++] = samples[i];
                }
            }
            sorted = Arrays.copyOf(sorted, during);
            Arrays.sort(sorted);
            long[] all = Arrays.copyOf(samples, n);
            Arrays.sort(all);
            double p50 = during == 0 ? 0 : sorted[during / 2] / 1e6;
            double p99 = during == 0 ? 0 : sorted[Math.max(0, Math.min(during - 1, (int) Math.ceil(during * 0.99) - 1))] / 1e6;
            double max = during == 0 ? 0 : sorted[during - 1] / 1e6;
            double transferMillis = (transferEnd - start) / 1e6;
            double maxBound = transferMillis * MAX_ROUND_TRIP_SHARE + stallMillis;
            System.out.printf("[fairness] 100 MB message in %.2f s (%.2f s to the handler); %d small (64 B) round trips ended during the transfer: "
                            + "p50 %.2f ms (bound %.0f), p99 %.2f ms, max %.2f ms (bound %.0f, half the transfer + the longest process stall, %.0f ms); "
                            + "%d in all, max %.2f ms with the handler's 100 MB copy%n",
                    seconds, transferMillis / 1e3, during, p50, MAX_MEDIAN_ROUND_TRIP_MILLIS, p99, max, maxBound, stallMillis, n, all[n - 1] / 1e6);
            assertTrue(during >= MIN_SAMPLES, "only " + during + " small round trips ended during the big message's transfer");
            assertTrue(p50 < MAX_MEDIAN_ROUND_TRIP_MILLIS, String.format("median small round trip %.1f ms during the big message (bound %.0f ms)",
                    p50, MAX_MEDIAN_ROUND_TRIP_MILLIS));
            assertTrue(max < maxBound, String.format("slowest small round trip %.1f ms during the big message's %.0f ms transfer (bound %.0f ms)",
                    max, transferMillis, maxBound));
            stream.close();
        }
    }

    /**
     * The longest time a thread that only sleeps 1 ms at a time was kept from running: a pause
     * of the whole process (allocation, GC, the machine), which no fairness of the send ring
     * can avoid. Bounded: it stops when asked, or after a minute.
     */
    static final class ProcessStalls implements Runnable {
        private static final long TICK_NANOS = 1_000_000;
        private static final long LIMIT_NANOS = 60_000_000_000L;
        private volatile boolean running = true;
        private volatile long maxNanos;
        private final Thread thread = new Thread(this, "process-stalls");

        static ProcessStalls start() {
            ProcessStalls s = new ProcessStalls();
            s.thread.setDaemon(true);
            s.thread.start();
            return s;
        }

        @Override
        public void run() {
            long began = System.nanoTime();
            while (running && System.nanoTime() - began < LIMIT_NANOS) {
                long before = System.nanoTime();
                java.util.concurrent.locks.LockSupport.parkNanos(TICK_NANOS);
                long late = System.nanoTime() - before - TICK_NANOS;
                if (late > maxNanos) {
                    maxNanos = late;
                }
            }
        }

        double stopAndMaxMillis() throws InterruptedException {
            running = false;
            thread.join(1000);
            return maxNanos / 1e6;
        }
    }
}
