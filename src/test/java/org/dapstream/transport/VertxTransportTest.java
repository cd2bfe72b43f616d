package org.dapstream.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@link VertxTransport} over a {@link ByteConnection} that is no socket: two streams joined
 * by an in-memory pipe on one Vert.x event loop. What a new binding has to provide is the
 * pipe alone; set-up, channels, the first-frame hook and both kinds of ending run on it.
 */
class VertxTransportTest {
    private static final long WAIT_SECONDS = 10;

    private static Vertx vertx;
    private static Context loop;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        loop = vertx.getOrCreateContext();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** One end of an in-memory pipe: each batch is one "packet" delivered to the other end in a later task. */
    private static final class PipeEnd implements ByteConnection, BatchTarget {
        private final String name;
        private PipeEnd peer;
        private Events events;
        private boolean down;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();

        PipeEnd(String name) {
            this.name = name;
        }

        static PipeEnd[] pair() {
            PipeEnd a = new PipeEnd("pipe:a");
            PipeEnd b = new PipeEnd("pipe:b");
            a.peer = b;
            b.peer = a;
            return new PipeEnd[] {a, b};
        }

        @Override
        public BatchTarget batchTarget() {
            return this;
        }

        @Override
        public void start(Events events) {
            this.events = events;
        }

        @Override
        public ByteBuf allocate(int capacity) {
            return Unpooled.directBuffer(capacity);
        }

        @Override
        public Future<Void> write(ByteBuf batch) {
            writes.incrementAndGet();
            byte[] bytes = new byte[batch.readableBytes()];
            batch.getBytes(batch.readerIndex(), bytes);
            batch.release();
            loop.runOnContext(v -> {
                if (!peer.down) {
                    peer.events.bytes(ByteBuffer.wrap(bytes));
                }
            });
            return Future.succeededFuture();
        }

        @Override
        public boolean writeQueueFull() {
            return false;
        }

        @Override
        public long queuedBytes() {
            return 0;
        }

        @Override
        public void afterTurn(Runnable task) {
            loop.runOnContext(v -> task.run());
        }

        @Override
        public void pauseReading() {
        }

        @Override
        public void resumeReading() {
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            // After the bytes already in flight, as a TCP close follows the data.
            loop.runOnContext(v -> {
                takeDown();
                peer.takeDown();
            });
        }

        @Override
        public void abort() {
            close();
        }

        private void takeDown() {
            if (!down) {
                down = true;
                events.closed();
            }
        }

        @Override
        public String remoteAddress() {
            return peer.name;
        }
    }

    private static <T> T onLoop(Supplier<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(v -> result.complete(task.get()));
        return result.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private record Pair(Stream connector, Stream acceptor, PipeEnd connectorEnd, PipeEnd acceptorEnd, AtomicInteger firstFrames) {
    }

    private static Pair connect(StreamCounters counters) throws Exception {
        PipeEnd[] pipe = PipeEnd.pair();
        AtomicInteger firstFrames = new AtomicInteger();
        Stream acceptor = onLoop(() -> {
            VertxTransport t = new VertxTransport(pipe[1]);
            t.onFirstFrame(firstFrames::incrementAndGet);
            return t.bind(x -> new Stream(StreamRole.ACCEPTOR, x, new LocalNode(StreamConfig.defaults(), StreamClock.SYSTEM,
                    ChannelRegistry.withDiagnostics(), new Sessions(), NodeAddress.NONE, counters), StreamListener.NONE));
        });
        Stream connector = onLoop(() -> new VertxTransport(pipe[0]).bind(x -> new Stream(StreamRole.CONNECTOR, x,
                new LocalNode(StreamConfig.defaults(), StreamClock.SYSTEM, new ChannelRegistry(), null, NodeAddress.NONE, counters),
                StreamListener.NONE)));
        connector.ready().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return new Pair(connector, acceptor, pipe[0], pipe[1], firstFrames);
    }

    @Test
    void aStreamSetsUpAndEchoesOverAByteConnectionThatIsNoSocket() throws Exception {
        StreamCounters counters = new StreamCounters();
        Pair p = connect(counters);
        assertEquals(1, p.connectorEnd.writes.get(), "HELLO in one write");
        assertEquals(1, p.firstFrames.get(), "the first-frame hook ran once");
        assertEquals("pipe:a", p.acceptor.remoteAddress());

        CompletableFuture<String> echoed = new CompletableFuture<>();
        Channel ch = p.connector.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                echoed.complete(StandardCharsets.UTF_8.decode(data).toString());
            }
        }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        onLoop(() -> ch.write(PacketType.DATA, "over the pipe".getBytes(StandardCharsets.UTF_8)));
        assertEquals("over the pipe", echoed.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(1, p.firstFrames.get(), "and never again");

        p.connector.close();
        assertEquals(ErrorCode.NORMAL, p.connector.closed().get(WAIT_SECONDS, TimeUnit.SECONDS).errorCode());
        assertEquals(ErrorCode.NORMAL, p.acceptor.closed().get(WAIT_SECONDS, TimeUnit.SECONDS).errorCode());
        assertTrue(p.connectorEnd.closes.get() + p.acceptorEnd.closes.get() >= 1, "the connection was closed");
    }

    @Test
    void theBindingReportingTheConnectionClosedEndsTheStreamAsLost() throws Exception {
        Pair p = connect(new StreamCounters());
        loop.runOnContext(v -> p.connectorEnd.takeDown());
        CloseReason reason = p.connector.closed().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(ErrorCode.CONNECTION_LOST, reason.errorCode());
    }

    @Test
    void anAbortSendsItsErrorBeforeTheConnectionCloses() throws Exception {
        Pair p = connect(new StreamCounters());
        p.acceptor.abort(ErrorCode.GOING_AWAY, "leaving");
        CloseReason seen = p.connector.closed().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(CloseReason.of(ErrorCode.GOING_AWAY, "leaving"), seen, "the peer read the ERROR: it was flushed first");
        assertEquals(1, onLoop(p.acceptorEnd.closes::get), "closed once, after the flush");
    }
}
