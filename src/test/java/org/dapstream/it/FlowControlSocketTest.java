package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.Packet;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Flow control over real sockets: a server-side reader that never reads stops the
 * client's writer at the window, the server holds no more than the window for it, other
 * channels and other streams keep flowing, and reading again resumes the flow with every
 * byte in order.
 */
@ParameterizedClass(name = "over {0}")
@EnumSource(Transport.class)
class FlowControlSocketTest {
    /** The same test over TCP and over WebSocket. */
    @Parameter
    Transport transport;

    /** A channel type whose server side is in pull mode and reads only when the test says so. */
    static final ChannelType SINK = ChannelType.custom(0x20);
    static final int MESSAGE = 16 * 1024;
    /** How long the writer keeps trying against the stalled reader while we watch the server. */
    static final long STALL_MILLIS = 1_500;
    static final long WAIT_MILLIS = 10_000;

    private final LinkedBlockingQueue<Channel> sinks = new LinkedBlockingQueue<>();
    private LoopbackServer server;
    private final List<StreamClient> clients = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        ChannelRegistry services = ChannelRegistry.withDiagnostics().register(SINK, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true); // before any data: opened runs on the loop ahead of the first frame
                sinks.add(channel);
            }
        });
        server = LoopbackServer.start(StreamConfig.defaults(), services, transport);
    }

    @AfterEach
    void stop() throws Exception {
        for (StreamClient c : clients) {
            c.close();
        }
        server.close();
    }

    private Stream connect() throws Exception {
        StreamClient client = LoopbackServer.client(StreamConfig.defaults());
        clients.add(client);
        return server.connect(client);
    }

    @Test
    @Timeout(60)
    void aReaderThatNeverReadsStopsTheWriterAtTheChannelWindowWhileOthersFlow() throws Exception {
        Stream stream = connect();
        Channel writer = stream.openChannel(SINK, new ChannelHandler() { }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Channel reader = sinks.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(reader, "the server opened the sink");
        Stream serverStream = reader.stream();
        Probe sameStream = Probe.open(stream, "other channel, same stream");
        Probe otherStream = Probe.open(connect(), "other stream");

        int window = FlowConfig.DEFAULT_CHANNEL_WINDOW;
        int messages = 2 * window / MESSAGE; // twice what the window lets through
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            sends.add(writer.send(PacketType.DATA, Numbered.message(0, i, MESSAGE)));
        }
        awaitTrue(() -> writer.sendCredit() == 0, "the writer's channel credit runs out");

        Stall stall = watch(serverStream, sameStream, otherStream);
        long completed = sends.stream().filter(CompletableFuture::isDone).count();
        assertEquals(window / MESSAGE, completed, "exactly one window of messages left the client");
        assertEquals(0, writer.sendCredit(), "no credit came back while nobody read");
        assertTrue(sends.stream().noneMatch(CompletableFuture::isCompletedExceptionally), "nothing failed");
        assertTrue(stall.maxHeld <= window, "server held " + stall.maxHeld + " bytes, over the channel window " + window);
        assertEquals(window, serverStream.heldBytes(), "the pull buffer holds exactly the window");
        assertTrue(stall.roundTrips >= 4, "both probes kept flowing during the stall: " + stall);
        System.out.printf("[flow] channel window %d: server held max %d bytes, client credit 0, %d/%d messages sent; %s%n",
                window, stall.maxHeld, completed, messages, stall);

        // Read again: every byte arrives, in order, and the writer's futures all complete.
        assertEquals(messages, Numbered.drain(reader, 0, messages, MESSAGE, WAIT_MILLIS));
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        awaitTrue(() -> serverStream.heldBytes() == 0, "the server holds nothing once read");
        sameStream.roundTrip();
    }

    @Test
    @Timeout(60)
    void writeFromAnotherThreadReportsBackPressureWhenTheReaderStops() throws Exception {
        Stream stream = connect();
        Channel writer = stream.openChannel(SINK, new ChannelHandler() { }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Channel reader = sinks.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(reader, "the server opened the sink");
        int window = FlowConfig.DEFAULT_CHANNEL_WINDOW;
        // What may be in flight before write() says stop: the peer's window, this channel's
        // send buffer, and the off-loop hand-over queue (writeHighWater), plus the write that crossed it.
        long allowance = (long) window + FlowConfig.DEFAULT_CHANNEL_SEND_BUFFER + StreamConfig.DEFAULT_WRITE_HIGH_WATER + MESSAGE;
        long limit = 16 * allowance; // a bounded loop: a writer that is never stopped fails below
        // A producer that honours back-pressure: on false it waits for whenWritable and goes on;
        // it is stopped for good once whenWritable stays pending while the reader does not read.
        int written = 0;
        int falses = 0;
        CompletableFuture<Void> writable = null;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while ((long) written * MESSAGE < limit && System.nanoTime() < until) {
            boolean accepted = writer.write(PacketType.DATA, Numbered.message(0, written, MESSAGE));
            written++;
            if (!accepted) {
                falses++;
                writable = writer.whenWritable();
                try {
                    writable.get(500, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stopped) {
                    break;
                }
            }
        }
        long writtenBytes = (long) written * MESSAGE;
        assertNotNull(writable, "write() never reported back-pressure; " + writtenBytes + " bytes accepted for a reader that never reads");
        assertFalse(writable.isDone(), "the writer was never held: " + writtenBytes + " bytes accepted for a reader that never reads");
        assertTrue(writtenBytes <= allowance, "write() held the writer only after " + writtenBytes + " bytes (allowed " + allowance + ")");
        assertEquals(0, writer.sendCredit(), "the peer's window is used up");
        System.out.printf("[flow] off-loop writer: held for good after %d bytes (bound %d), write() returned false %d times%n",
                writtenBytes, allowance, falses);

        assertEquals(written, Numbered.drain(reader, 0, written, MESSAGE, WAIT_MILLIS));
        writable.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    @Timeout(60)
    void manyStalledChannelsAreBoundByTheStreamWindowAndOtherStreamsFlow() throws Exception {
        Stream stream = connect();
        int channels = 6; // 6 x 1 MiB channel windows > the 4 MiB stream window
        int perChannel = 96; // 1.5 MiB each
        List<Channel> writers = new ArrayList<>();
        List<Channel> readers = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            writers.add(stream.openChannel(SINK, new ChannelHandler() { }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            Channel r = sinks.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertNotNull(r, "the server opened sink " + c);
            readers.add(r);
        }
        Stream serverStream = readers.get(0).stream();
        Probe otherStream = Probe.open(connect(), "other stream");

        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < perChannel; i++) {
            for (int c = 0; c < channels; c++) {
                sends.add(writers.get(c).send(PacketType.DATA, Numbered.message(c, i, MESSAGE)));
            }
        }
        awaitTrue(() -> stream.sendCredit() == 0, "the writer's stream credit runs out");

        Stall stall = watch(serverStream, otherStream);
        int streamWindow = FlowConfig.DEFAULT_STREAM_WINDOW;
        long completed = sends.stream().filter(CompletableFuture::isDone).count();
        assertEquals(streamWindow / MESSAGE, completed, "exactly one stream window of messages left the client");
        assertTrue(stall.maxHeld <= streamWindow, "server held " + stall.maxHeld + " bytes, over the stream window " + streamWindow);
        assertEquals(streamWindow, serverStream.heldBytes(), "the pull buffers hold exactly the stream window");
        for (Channel w : writers) {
            assertTrue(w.sendCredit() > 0, "the stream window, not " + w + "'s, is what stopped the writer");
        }
        assertTrue(stream.active() && serverStream.active(), "a stalled stream is not a dead one (keepalives are free)");
        System.out.printf("[flow] %d channels, stream window %d: server held max %d bytes, %d/%d messages sent; %s%n",
                channels, streamWindow, stall.maxHeld, completed, sends.size(), stall);

        List<CompletableFuture<Integer>> drains = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            int channel = c;
            drains.add(CompletableFuture.supplyAsync(() -> Numbered.drain(readers.get(channel), channel, perChannel, MESSAGE, WAIT_MILLIS)));
        }
        for (CompletableFuture<Integer> d : drains) {
            assertEquals(perChannel, d.get(2 * WAIT_MILLIS, TimeUnit.MILLISECONDS));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        awaitTrue(() -> serverStream.heldBytes() == 0, "the server holds nothing once read");
    }

    @Test
    @Timeout(60)
    void aPausedChannelHoldsOnlyItsWindowAndResumeDeliversInOrder() throws Exception {
        // The same bound through Channel.pause() on a push-mode channel: the client pauses its
        // own receiving ECHO channel, so the server's echo writer is the one held back.
        Stream stream = connect();
        LinkedBlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, java.nio.ByteBuffer data) {
                byte[] copy = new byte[data.remaining()];
                data.get(copy);
                got.add(copy);
            }
        }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Probe sameStream = Probe.open(stream, "other channel, same stream");
        echo.pause();
        int window = FlowConfig.DEFAULT_CHANNEL_WINDOW;
        int messages = window / MESSAGE + 16; // more than the window, less than what the echo server buffers
        for (int i = 0; i < messages; i++) {
            assertTrue(echo.send(PacketType.DATA, Numbered.message(0, i, MESSAGE)) != null);
        }
        awaitTrue(() -> stream.heldBytes() == window, "the client holds one window of echoes");
        long maxHeld = 0;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
        int trips = 0;
        while (System.nanoTime() < until) {
            maxHeld = Math.max(maxHeld, stream.heldBytes());
            sameStream.roundTrip();
            trips++;
            Thread.sleep(20);
        }
        assertTrue(maxHeld <= window, "client held " + maxHeld + " bytes for a paused channel, over its window " + window);
        assertTrue(got.isEmpty(), "nothing delivered while paused");
        System.out.printf("[flow] paused channel, window %d: held max %d bytes, %d round trips on the other channel%n",
                window, maxHeld, trips);
        echo.resume();
        for (int i = 0; i < messages; i++) {
            byte[] m = got.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertNotNull(m, "echo " + i + " of " + messages + " after resume");
            assertArrayEquals(Numbered.message(0, i, MESSAGE), m, "echo " + i + " in order and intact");
        }
        assertFalse(echo.paused());
    }

    /** What the test saw while the writer was stuck. */
    record Stall(long maxHeld, int roundTrips, double maxRoundTripMillis) {
        @Override
        public String toString() {
            return String.format("%d probe round trips during the %d ms stall, slowest %.1f ms", roundTrips, STALL_MILLIS, maxRoundTripMillis);
        }
    }

    /** Samples the server's held bytes while the probes keep doing round trips, for {@link #STALL_MILLIS}. */
    private static Stall watch(Stream serverStream, Probe... probes) throws InterruptedException {
        long maxHeld = 0;
        long slowest = 0;
        int trips = 0;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
        while (System.nanoTime() < until) {
            maxHeld = Math.max(maxHeld, serverStream.heldBytes());
            for (Probe p : probes) {
                slowest = Math.max(slowest, p.roundTrip());
                trips++;
                maxHeld = Math.max(maxHeld, serverStream.heldBytes());
            }
            Thread.sleep(20);
        }
        return new Stall(maxHeld, trips, slowest / 1e6);
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out after " + WAIT_MILLIS + " ms waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Messages whose bytes say which channel and index they are, so order and integrity are checked by content. */
    static final class Numbered {
        static byte[] message(int channel, int index, int size) {
            byte[] m = new byte[size];
            java.nio.ByteBuffer.wrap(m).putInt(channel).putInt(index);
            for (int j = 8; j < size; j++) {
                m[j] = (byte) (index * 31 + channel * 7 + j);
            }
            return m;
        }

        /** Reads {@code count} messages from a pull-mode channel (from this thread) and checks each. */
        static int drain(Channel reader, int channel, int count, int size, long timeoutMillis) {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            int next = 0;
            while (next < count) {
                Packet p = reader.read();
                if (p == null) {
                    if (System.nanoTime() > until) {
                        throw new AssertionError("channel " + channel + ": only " + next + " of " + count + " messages arrived");
                    }
                    Thread.onSpinWait();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError(e);
                    }
                    continue;
                }
                assertArrayEquals(message(channel, next, size), p.data(), "channel " + channel + " message " + next + " in order and intact");
                next++;
            }
            return next;
        }
    }
}
