package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.FlowConfig;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A client that writes from its own thread while the server ends the connection learns how
 * many of its accepted messages never went out, exactly, from
 * {@link ChannelHandler#writesLost}, and the log gets no line per message. The server's reader
 * never reads, so exactly one channel window of messages can leave the client (nothing else
 * is in flight when the connection ends): accepted = received by the server + reported lost.
 */
@ParameterizedClass(name = "over {0}")
@EnumSource(Transport.class)
class ClientWritesLostSocketTest {
    /** The same test over TCP and over WebSocket. */
    @Parameter
    Transport transport;

    static final ChannelType SINK = ChannelType.custom(0x21);
    static final int MESSAGE = 1024;
    static final int WINDOW_MESSAGES = FlowConfig.DEFAULT_CHANNEL_WINDOW / MESSAGE;
    /** Bounds the writer: it stops here even if the channel never closes. */
    static final int MAX_MESSAGES = 20_000;
    static final long WAIT_MILLIS = 10_000;

    private final LinkedBlockingQueue<Channel> sinks = new LinkedBlockingQueue<>();
    private LoopbackServer server;
    private Vertx clientVertx;
    private StreamClient client;
    private final List<LogRecord> warnings = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                synchronized (warnings) {
                    warnings.add(r);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("org.dapstream.stream").addHandler(capture);
        ChannelRegistry services = ChannelRegistry.withDiagnostics().register(SINK, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true); // never read: the client's credit ends at the window
                sinks.add(channel);
            }
        });
        server = LoopbackServer.start(StreamConfig.defaults(), services, transport);
        // The client's own single event loop, so the test can hold it while the connection ends.
        clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        client = new StreamClient(clientVertx, ClientOptions.defaults(), new ChannelRegistry());
    }

    @AfterEach
    void stop() throws Exception {
        Logger.getLogger("org.dapstream.stream").removeHandler(capture);
        client.close();
        clientVertx.close().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        if (server != null) {
            server.close();
        }
    }

    @Test
    @Timeout(60)
    void theServerEndingTheStreamTellsTheWriterExactlyWhatWasNotSent() throws Exception {
        exactAccount(serverStream -> serverStream.abort(ErrorCode.INTERNAL_ERROR, "ended by the test"));
    }

    @Test
    @Timeout(60)
    void theServerGoingAwayWithoutAWordTellsTheWriterExactlyWhatWasNotSent() throws Exception {
        exactAccount(serverStream -> {
            server.kill();
            server = null;
        });
    }

    interface Ending {
        void end(Stream serverStream) throws Exception;
    }

    private void exactAccount(Ending ending) throws Exception {
        Stream stream = server.connect(client);
        AtomicLong lostMessages = new AtomicLong();
        AtomicLong lostBytes = new AtomicLong();
        AtomicInteger reports = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        Channel ch = stream.openChannel(SINK, new ChannelHandler() {
            @Override
            public void writesLost(Channel channel, long messages, long bytes) {
                reports.incrementAndGet();
                lostMessages.addAndGet(messages);
                lostBytes.addAndGet(bytes);
            }

            @Override
            public void closed(Channel channel, CloseReason reason) {
                closed.countDown();
            }
        }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        Channel reader = sinks.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull(reader, "the server opened the sink");

        AtomicInteger accepted = new AtomicInteger();
        AtomicBoolean refused = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            byte[] message = new byte[MESSAGE];
            for (int i = 0; i < MAX_MESSAGES; i++) {
                try {
                    boolean goOn = ch.write(PacketType.DATA, message);
                    accepted.incrementAndGet();
                    if (!goOn) {
                        Thread.sleep(1); // back-pressure: slow down, but keep writing through the end
                    }
                } catch (IllegalStateException closedNow) {
                    refused.set(true); // the channel is closed as seen from here: not accepted
                    return;
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "off-loop-writer");
        writer.start();

        awaitTrue(() -> reader.bufferedBytes() == FlowConfig.DEFAULT_CHANNEL_WINDOW, "the server holds one window, unread");
        // Hold the client's event loop while the connection ends: writes accepted meanwhile
        // reach the loop together with (or after) the news that the connection is gone.
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        clientVertx.runOnContext(v -> {
            held.countDown();
            try {
                release.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
        int beforeEnd = accepted.get();
        Stream serverStream = reader.stream();
        ending.end(serverStream);
        Thread.sleep(200);
        release.countDown();

        writer.join(WAIT_MILLIS + MAX_MESSAGES);
        assertTrue(refused.get(), "the writer ran until a write was refused, " + accepted.get() + " accepted");
        assertTrue(closed.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the client's channel closed");
        long received = reader.stats().packetsReceived();
        assertEquals(WINDOW_MESSAGES, received, "one window reached the server");
        int total = accepted.get();
        awaitTrue(() -> received + lostMessages.get() == total,
                () -> "accepted " + total + " = received " + received + " + reported lost " + lostMessages.get());
        assertTrue(total > beforeEnd, "writes were accepted while the connection ended");
        assertEquals(lostMessages.get() * MESSAGE, lostBytes.get(), "bytes of the lost messages");
        assertEquals(lostMessages.get(), ch.writesLost());
        assertEquals(lostBytes.get(), ch.writesLostBytes());
        List<String> lines;
        synchronized (warnings) {
            lines = warnings.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList();
        }
        assertTrue(lines.isEmpty(), "no warnings for lost writes: " + lines.size() + " " + lines.stream().limit(3).toList());
        System.out.printf("[writes-lost] accepted %d, received by the server %d, reported lost %d in %d report(s), %d before the end%n",
                total, received, lostMessages.get(), reports.get(), beforeEnd);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(BooleanSupplier condition, java.util.function.Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what.get());
            }
            Thread.sleep(5);
        }
    }
}
