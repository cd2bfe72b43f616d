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
import org.dapstream.stream.RateLimit;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bulk transfer over real sockets: several FILE channels of one stream carry
 * messages of random size (1 B .. 1 MiB, so most are fragmented), half compressible text and
 * half random bytes, under a stream and a channel rate limit that both bind, checked end to
 * end by SHA-256 per channel. The rate check is an upper bound only (a lower one is not a
 * correctness property). The default run moves 128 MiB; the 1 GiB run is tagged {@code soak}.
 */
class BulkTransferSocketTest {
    static final int CHANNELS = 4;
    static final int MAX_MESSAGE = 1024 * 1024;
    /** All channels together: the limit while all four send. */
    static final long STREAM_RATE = 24L * 1024 * 1024;
    /** One channel: the limit once the big channel sends alone. */
    static final long CHANNEL_RATE = 10L * 1024 * 1024;
    /** Share of the bytes per channel, eighths: the last channel carries most and ends alone. */
    static final int[] EIGHTHS = {1, 1, 1, 5};
    /** Measurement slack on top of the token buckets' burst (100 ms of rate) and one frame. */
    static final double TOLERANCE = 0.05;
    /** Bytes a sender keeps in flight (queued, not yet sent) per channel. */
    static final long IN_FLIGHT = 4L * 1024 * 1024;

    @Test
    @Timeout(120)
    void hundredTwentyEightMebibytesOverFourRateLimitedChannels() throws Exception {
        transfer(128L * 1024 * 1024);
    }

    /** Excluded by default (pom: dap.test.excludedGroups); docs/BENCHMARKS.md, "Long runs outside the default build", has the command. */
    @Test
    @Tag("soak")
    @Timeout(300)
    void oneGibibyteOverFourRateLimitedChannels() throws Exception {
        transfer(1024L * 1024 * 1024);
    }

    private void transfer(long total) throws Exception {
        Receiver receiver = new Receiver();
        ChannelRegistry services = new ChannelRegistry().register(ChannelType.FILE, receiver);
        FlowConfig flow = FlowConfig.defaults().withRates(new RateLimit(STREAM_RATE, 0), new RateLimit(CHANNEL_RATE, 0))
                .withCompression(true);
        long[] share = new long[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            share[c] = total / 8 * EIGHTHS[c];
        }
        try (LoopbackServer server = LoopbackServer.start(StreamConfig.defaults(), services);
             StreamClient client = LoopbackServer.client(StreamConfig.defaults().withFlow(flow))) {
            Stream stream = server.connect(client);
            List<Channel> channels = new ArrayList<>();
            for (int c = 0; c < CHANNELS; c++) {
                channels.add(stream.openChannel(ChannelType.FILE, new ChannelHandler() { }).get(10, TimeUnit.SECONDS));
            }
            receiver.expect(channels, share);
            Payload payload = new Payload(new SplittableRandom(0x5EED));
            ExecutorService senders = Executors.newFixedThreadPool(CHANNELS);
            long start = System.nanoTime();
            receiver.start = start;
            List<Future<String>> sent = new ArrayList<>();
            try {
                for (int c = 0; c < CHANNELS; c++) {
                    Channel ch = channels.get(c);
                    long bytes = share[c];
                    long seed = 1000 + c;
                    sent.add(senders.submit(() -> send(ch, bytes, payload, new SplittableRandom(seed))));
                }
                List<String> sentDigests = new ArrayList<>();
                for (Future<String> f : sent) {
                    sentDigests.add(f.get(280, TimeUnit.SECONDS));
                }
                for (int c = 0; c < CHANNELS; c++) {
                    int id = channels.get(c).id();
                    assertTrue(receiver.done.get(id).get(60, TimeUnit.SECONDS), "channel " + id + " received exactly its bytes");
                    assertEquals(sentDigests.get(c), receiver.digest(id), "channel " + id + ": SHA-256 of " + share[c] + " bytes end to end");
                }
            } finally {
                senders.shutdownNow();
            }
            // Compression on: every channel negotiated it, and the text half went compressed.
            for (Channel ch : channels) {
                assertTrue(ch.compression(), ch + " negotiated compression");
            }
            long saved = client.counters().compressionSavedBytes();
            assertTrue(saved > total / 4, "half of the " + total + " bytes are text that LZ4 shrinks several-fold; compression saved only " + saved);
            assertTrue(stream.stats().bytesSent() < total - saved / 2,
                    "frame bytes sent " + stream.stats().bytesSent() + " should be well under the " + total + " message bytes");
            long end = receiver.lastArrival.get();
            double seconds = (end - start) / 1e9;

            // Rate limits count bytes on the wire (compressed frames their compressed size), so they
            // are checked on the frame bytes the server received, read on its loop at each arrival.
            // Stream limit: while all channels were sending, and over the whole run.
            assertTrue(receiver.smallDoneAt > 0, "the small channels finished before the big one");
            long sharedBytes = receiver.wireWhenSmallDone;
            double sharedSeconds = (receiver.smallDoneAt - start) / 1e9;
            assertWithinRate("stream", sharedBytes, sharedSeconds, STREAM_RATE);
            assertWithinRate("stream (whole run)", receiver.wireLast, seconds, STREAM_RATE);
            // Channel limit: the big channel alone after the others finished (the only sender then).
            int big = channels.get(CHANNELS - 1).id();
            long aloneBytes = receiver.wireLast - receiver.wireWhenSmallDone;
            double aloneSeconds = (end - receiver.smallDoneAt) / 1e9;
            assertWithinRate("channel " + big + " alone", aloneBytes, aloneSeconds, CHANNEL_RATE);
            System.out.printf("[bulk] %d MiB over %d channels in %.2f s (%.1f MiB/s); all sending: %.1f MiB/s (stream limit %d);"
                            + " big channel alone: %.1f MiB/s (channel limit %d); %d messages, compression negotiated %s, saved %.1f MiB (bound %d)%n",
                    total >> 20, CHANNELS, seconds, total / seconds / (1 << 20), sharedBytes / sharedSeconds / (1 << 20), STREAM_RATE >> 20,
                    aloneBytes / aloneSeconds / (1 << 20), CHANNEL_RATE >> 20, receiver.messages.get(), channels.get(0).compression(),
                    saved / (double) (1 << 20), total >> 22);
            stream.close();
        }
    }

    /**
     * The allowance of a token bucket over {@code seconds}: its rate, its burst (100 ms of
     * rate) and one largest frame, plus {@link #TOLERANCE}.
     */
    private static void assertWithinRate(String what, long bytes, double seconds, long rate) {
        double allowed = (rate * seconds + rate * 0.1 + 70 * 1024) * (1 + TOLERANCE);
        assertTrue(bytes <= allowed, String.format("%s: %d bytes in %.3f s = %.1f MiB/s, over the limit of %.1f MiB/s",
                what, bytes, seconds, bytes / seconds / (1 << 20), rate / (double) (1 << 20)));
    }

    /** Writes {@code bytes} in messages of random size 1 B .. 1 MiB with send(), a few MiB in flight; returns their SHA-256. */
    private static String send(Channel ch, long bytes, Payload payload, SplittableRandom random) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        ArrayDeque<Integer> sizes = new ArrayDeque<>();
        long queued = 0;
        long left = bytes;
        while (left > 0) {
            int size = (int) Math.min(left, 1 + random.nextInt(MAX_MESSAGE));
            byte[] m = payload.message(size, random);
            sha.update(m);
            inFlight.add(ch.send(PacketType.DATA, m));
            sizes.add(size);
            queued += size;
            left -= size;
            while (queued > IN_FLIGHT) {
                inFlight.poll().get(60, TimeUnit.SECONDS);
                queued -= sizes.poll();
            }
        }
        for (CompletableFuture<Void> f : inFlight) {
            f.get(60, TimeUnit.SECONDS);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Message bytes: slices of a compressible text pool and of a random pool, half and half. */
    static final class Payload {
        private final byte[] text;
        private final byte[] noise;

        Payload(SplittableRandom random) {
            StringBuilder sb = new StringBuilder();
            String[] words = {"stream ", "channel ", "window ", "credit ", "fragment ", "node ", "session ", "frame "};
            while (sb.length() < 2 * MAX_MESSAGE) {
                sb.append(words[random.nextInt(words.length)]);
            }
            text = sb.toString().getBytes(StandardCharsets.US_ASCII);
            noise = new byte[2 * MAX_MESSAGE];
            for (int i = 0; i < noise.length; i += 8) {
                long r = random.nextLong();
                for (int j = 0; j < 8; j++) {
                    noise[i + j] = (byte) (r >>> (8 * j));
                }
            }
        }

        byte[] message(int size, SplittableRandom random) {
            byte[] m = new byte[size];
            int half = size / 2;
            System.arraycopy(text, random.nextInt(MAX_MESSAGE), m, 0, half);
            System.arraycopy(noise, random.nextInt(MAX_MESSAGE), m, half, size - half);
            return m;
        }
    }

    /** Server side: SHA-256 and byte counts per channel, and when the rate-relevant moments happened. */
    static final class Receiver implements ChannelHandler {
        final ConcurrentHashMap<Integer, MessageDigest> digests = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Integer, AtomicLong> received = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Integer, CompletableFuture<Boolean>> done = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Integer, Long> finishedAt = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Integer, Long> expected = new ConcurrentHashMap<>();
        final AtomicLong messages = new AtomicLong();
        final AtomicLong lastArrival = new AtomicLong();
        volatile long start;
        volatile int bigChannel;
        volatile int smallLeft;
        volatile long smallDoneAt;
        volatile long bytesWhenSmallDone;
        volatile long bigBytesWhenSmallDone;
        /** Frame bytes the server's stream had received at that moment, and at the last arrival. */
        volatile long wireWhenSmallDone;
        volatile long wireLast;

        void expect(List<Channel> channels, long[] share) {
            for (int c = 0; c < channels.size(); c++) {
                int id = channels.get(c).id();
                expected.put(id, share[c]);
                done.computeIfAbsent(id, k -> new CompletableFuture<>());
            }
            bigChannel = channels.get(channels.size() - 1).id();
            smallLeft = channels.size() - 1;
        }

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            long now = System.nanoTime();
            int id = channel.id(); // the server's ids equal the client's: the connector numbers its channels
            int size = data.remaining();
            digests.computeIfAbsent(id, k -> sha256()).update(data);
            long got = received.computeIfAbsent(id, k -> new AtomicLong()).addAndGet(size);
            messages.incrementAndGet();
            lastArrival.set(now);
            wireLast = channel.stream().stats().bytesReceived();
            Long want = expected.get(id);
            if (want != null && got >= want) {
                finishedAt.put(id, now);
                if (id != bigChannel && --smallLeft == 0) { // packetIn runs on the stream's one loop
                    smallDoneAt = now;
                    bytesWhenSmallDone = received.values().stream().mapToLong(AtomicLong::get).sum();
                    bigBytesWhenSmallDone = received.get(bigChannel) == null ? 0 : received.get(bigChannel).get();
                    wireWhenSmallDone = channel.stream().stats().bytesReceived();
                }
                done.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(got == want);
            }
        }

        String digest(int id) {
            return HexFormat.of().formatHex(digests.get(id).digest());
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
