package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.client.StreamPool;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.DiscardService;
import org.dapstream.stream.Packet;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;
import org.dapstream.stream.StreamStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The Java client against the server Quarkus started, over 127.0.0.1. */
@QuarkusTest
class MultiChannelTest {
    private static final int MESSAGES_PER_CHANNEL = 2000;

    @Inject
    StreamEndpoint endpoint;

    private StreamClient client;

    @BeforeEach
    void connect() {
        client = new StreamClient(ClientOptions.defaults());
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    private Stream stream() throws Exception {
        return client.connect("127.0.0.1", endpoint.server().port()).get(5, TimeUnit.SECONDS);
    }

    /** Collects what a channel receives as strings, in order. */
    private static final class Collector implements ChannelHandler {
        final LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            got.add(type + ":" + StandardCharsets.UTF_8.decode(data));
        }
    }

    @Test
    void interleavedChannelsKeepOrderAndContent() throws Exception {
        Stream stream = stream();
        List<Channel> channels = new ArrayList<>();
        List<Collector> collectors = new ArrayList<>();
        ChannelType[] types = {ChannelType.ECHO, ChannelType.ECHO, ReverseService.TYPE, ChannelType.ECHO};
        for (ChannelType type : types) {
            Collector c = new Collector();
            collectors.add(c);
            channels.add(stream.openChannel(type, c).get(5, TimeUnit.SECONDS));
        }
        Channel discard = stream.openChannel(ChannelType.DISCARD, new Collector()).get(5, TimeUnit.SECONDS);
        assertEquals(List.of(1, 3, 5, 7), channels.stream().map(Channel::id).toList(), "the connector opens odd ids");
        assertEquals(9, discard.id());

        // Interleave: message i goes to every channel in turn, written from this (non-loop) thread.
        for (int i = 0; i < MESSAGES_PER_CHANNEL; i++) {
            for (int c = 0; c < channels.size(); c++) {
                channels.get(c).write(PacketType.DATA, ("m" + c + "-" + i).getBytes(StandardCharsets.UTF_8));
                discard.write(PacketType.DATA, new byte[10]);
            }
        }
        for (int c = 0; c < channels.size(); c++) {
            for (int i = 0; i < MESSAGES_PER_CHANNEL; i++) {
                String sent = "m" + c + "-" + i;
                String expected = "DATA:" + (types[c].equals(ReverseService.TYPE) ? new StringBuilder(sent).reverse() : sent);
                assertEquals(expected, collectors.get(c).got.poll(5, TimeUnit.SECONDS), "channel " + channels.get(c).id() + " message " + i);
            }
            assertEquals(MESSAGES_PER_CHANNEL, channels.get(c).stats().packetsReceived());
        }

        // The discard service reports what it counted when asked with a CONTROL packet.
        CompletableFuture<long[]> report = new CompletableFuture<>();
        discard.handler(new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                report.complete(DiscardService.readReport(data));
            }
        });
        discard.write(PacketType.CONTROL, new byte[0]);
        long[] counts = report.get(5, TimeUnit.SECONDS);
        assertEquals(4L * MESSAGES_PER_CHANNEL, counts[0]);
        assertEquals(40L * MESSAGES_PER_CHANNEL, counts[1]);

        StreamStats before = stream.stats();
        assertEquals(5, before.activeChannels());
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), channels.get(0).close().get(5, TimeUnit.SECONDS));
        assertFalse(channels.get(0).active());
        assertThrows(IllegalStateException.class, () -> channels.get(0).write(PacketType.DATA, new byte[1]), "a closed channel refuses writes");
        // The other channels still work after one closed.
        channels.get(1).write(PacketType.DATA, "after".getBytes(StandardCharsets.UTF_8));
        assertEquals("DATA:after", collectors.get(1).got.poll(5, TimeUnit.SECONDS));
        assertEquals(4, stream.stats().activeChannels());

        int serverStreams = endpoint.server().streams().size();
        stream.close();
        assertEquals(ErrorCode.NORMAL, stream.closed().get(5, TimeUnit.SECONDS).errorCode());
        for (Channel ch : channels.subList(1, channels.size())) {
            assertEquals(ErrorCode.NORMAL, ch.closed().get(5, TimeUnit.SECONDS).errorCode(), "channels end with the stream");
        }
        awaitTrue(() -> endpoint.server().streams().size() == serverStreams - 1, "server forgets the closed stream");
    }

    @Test
    void statsCountEveryFrameBothWays() throws Exception {
        Stream stream = stream();
        Collector echoes = new Collector();
        Channel ch = stream.openChannel(ChannelType.ECHO, echoes).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
            ch.write(PacketType.DATA, new byte[50]);
        }
        for (int i = 0; i < 100; i++) {
            assertNotNull(echoes.got.poll(5, TimeUnit.SECONDS));
        }
        assertEquals(new org.dapstream.stream.ChannelStats(100, 100, 5000, 5000), ch.stats());
        Stream serverSide = endpoint.server().streams().stream()
                .filter(s -> s.session().id() == stream.session().id()).findFirst().orElseThrow();
        StreamStats client = stream.stats();
        StreamStats server = serverSide.stats();
        // The two ends agree once nothing is in flight (keepalives included), so compare a settled snapshot.
        awaitTrue(() -> stream.stats().packetsSent() == serverSide.stats().packetsReceived()
                && serverSide.stats().packetsSent() == stream.stats().packetsReceived(), "packet counts agree");
        assertEquals(stream.stats().bytesSent(), serverSide.stats().bytesReceived());
        assertTrue(client.packetsSent() >= 102, "HELLO, OPEN_CHANNEL and 100 DATA: " + client);
        assertTrue(server.bytesSent() >= 100 * (12 + 50), "echoes with headers: " + server);
        assertEquals(1, client.activeChannels());
        stream.close();
    }

    @Test
    void idleStreamStaysUpOnKeepalivesAndMeasuresLatency() throws Exception {
        Stream stream = stream();
        // The test profile's server timeout is 1 s: the client adapts its pings to a third of it.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
        while (System.nanoTime() < deadline) {
            assertTrue(stream.active(), "an idle stream with a live peer is kept");
            Thread.sleep(100);
        }
        assertTrue(stream.active());
        assertFalse(Double.isNaN(stream.stats().avgLatencyMillis()), "pongs gave a round trip");
        assertTrue(stream.stats().avgLatencyMillis() < 1000);
        stream.close();
    }

    @Test
    void refusedChannelTypeFailsTheOpenAndTheStreamGoesOn() throws Exception {
        Stream stream = stream();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stream.openChannel(ChannelType.custom(0x77), new Collector()).get(5, TimeUnit.SECONDS));
        StreamException cause = assertInstanceOf(StreamException.class, e.getCause());
        assertEquals(ErrorCode.UNSUPPORTED_CHANNEL_TYPE, cause.reason().errorCode());
        Collector c = new Collector();
        Channel ok = stream.openChannel(ChannelType.ECHO, c).get(5, TimeUnit.SECONDS);
        ok.write(PacketType.DATA, "x".getBytes(StandardCharsets.UTF_8));
        assertEquals("DATA:x", c.got.poll(5, TimeUnit.SECONDS));
        stream.close();
    }

    @Test
    void pullModeBuffersUntilRead() throws Exception {
        Stream stream = stream();
        CountDownLatch readable = new CountDownLatch(1);
        Channel ch = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void readyToRead(Channel channel) {
                readable.countDown();
            }
        }).get(5, TimeUnit.SECONDS);
        ch.pullMode(true);
        for (int i = 0; i < 10; i++) {
            ch.write(PacketType.DATA, new byte[] {(byte) i});
        }
        assertTrue(readable.await(5, TimeUnit.SECONDS));
        for (int i = 0; i < 10; i++) {
            Packet p = null;
            for (int spin = 0; p == null && spin < 500; spin++) {
                p = ch.read();
                if (p == null) {
                    Thread.sleep(10);
                }
            }
            assertNotNull(p, "packet " + i);
            assertEquals(PacketType.DATA, p.type());
            assertArrayEquals(new byte[] {(byte) i}, p.data());
        }
        stream.close();
    }

    @Test
    void poolReusesOneStreamPerNode() throws Exception {
        try (StreamPool pool = new StreamPool(client)) {
            int port = endpoint.server().port();
            Stream a = pool.stream("127.0.0.1", port).get(5, TimeUnit.SECONDS);
            Stream b = pool.stream("127.0.0.1", port).get(5, TimeUnit.SECONDS);
            assertSame(a, b);
            assertEquals(a, pool.byNode(a.node()).orElseThrow());
            a.close();
            a.closed().get(5, TimeUnit.SECONDS);
            Stream c = pool.stream("127.0.0.1", port).get(5, TimeUnit.SECONDS);
            assertNotSame(a, c, "a closed stream is replaced");
            assertTrue(c.active());
        }
    }

    @Test
    void sessionsAreCreatedPerStreamAndDeletedWithIt() throws Exception {
        Stream stream = stream();
        int id = stream.session().id();
        assertNotNull(endpoint.sessions().find(id), "the server registered the session it announced");
        assertTrue(stream.primary());
        stream.close();
        stream.closed().get(5, TimeUnit.SECONDS);
        awaitTrue(() -> endpoint.sessions().find(id) == null, "session deleted with its last stream");
    }

    @Test
    void manyStreamsFromManyThreadsEachGetTheirOwnEchoesInOrder() throws Exception {
        int streamsCount = 16;
        int channelsPerStream = 3;
        int messages = 300;
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<Stream> streams = new ArrayList<>();
            List<Channel> channels = new ArrayList<>();
            List<Collector> collectors = new ArrayList<>();
            for (int s = 0; s < streamsCount; s++) {
                Stream stream = stream();
                streams.add(stream);
                for (int c = 0; c < channelsPerStream; c++) {
                    Collector collector = new Collector();
                    collectors.add(collector);
                    channels.add(stream.openChannel(ChannelType.ECHO, collector).get(5, TimeUnit.SECONDS));
                }
            }
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int i = 0; i < channels.size(); i++) {
                Channel ch = channels.get(i);
                String tag = "c" + i + "-";
                done.add(writers.submit(() -> {
                    for (int m = 0; m < messages; m++) {
                        ch.write(PacketType.DATA, (tag + m).getBytes(StandardCharsets.UTF_8));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < channels.size(); i++) {
                for (int m = 0; m < messages; m++) {
                    Stream owner = streams.get(i / channelsPerStream);
                    String got = collectors.get(i).got.poll(10, TimeUnit.SECONDS);
                    int channel = i;
                    int message = m;
                    assertEquals("DATA:c" + i + "-" + m, got, () -> "channel #" + channel + " message " + message + " on " + owner
                            + (owner.closed().isDone() ? ", which ended: " + owner.closed().join() : ""));
                }
            }
            assertEquals(streamsCount, streams.stream().map(x -> x.session().id()).distinct().count(), "a session per stream");
            streams.forEach(Stream::close);
            for (Stream st : streams) {
                assertEquals(ErrorCode.NORMAL, st.closed().get(5, TimeUnit.SECONDS).errorCode());
            }
        } finally {
            writers.shutdownNow();
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what);
    }
}
