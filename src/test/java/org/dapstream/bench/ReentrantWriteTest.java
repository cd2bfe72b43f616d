package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.DiscardService;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Found by the load generator: a handler that writes from {@code readyToWrite} (as
 * {@link ChannelHandler#readyToWrite} invites) can be called <em>inside</em> another write
 * on the same channel, and its frame then overtakes that write's frame on the wire.
 *
 * <p>How: {@code Stream.sendFrame} takes the channel's {@code seq_id}, then calls
 * {@code VertxTransport.claim}, which flushes a batch of 64 KiB or more synchronously;
 * Netty's writability event fires during that flush, Vert.x calls the drain handler at
 * once, {@code Stream.notifyWritable} calls {@code readyToWrite}, and the handler's frame
 * (seq n+1) is put in the new batch before the outer frame (seq n). The peer closes the
 * stream with BAD_SEQUENCE.
 *
 * <p>Fixed: {@code Stream.onWritable} now wakes writers in a task of its own.
 */
class ReentrantWriteTest {
    /** Bound on the writes of the test: 128 MiB, far more than any socket buffer holds. */
    private static final int MAX_BIG_WRITES = 2048;

    @Test
    void aWriteFromReadyToWriteDoesNotOvertakeTheWriteInProgress() throws Exception {
        Vertx serverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        StreamServer server = new StreamServer(serverVertx, new StreamServerOptions("127.0.0.1", 0, 1,
                StreamConfig.defaults(), NodeAddress.NONE), ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        CompletableFuture<CloseReason> ended = new CompletableFuture<>();
        CompletableFuture<long[]> report = new CompletableFuture<>();
        CompletableFuture<Context> loop = new CompletableFuture<>();
        try (StreamClient client = new StreamClient(ClientOptions.plaintext())) {
            Stream stream = client.connect("127.0.0.1", server.port(), new StreamListener() {
                @Override
                public void active(Stream s) {
                    loop.complete(Vertx.currentContext());
                }

                @Override
                public void closed(Stream s, CloseReason reason) {
                    ended.complete(reason);
                }
            }).get(10, TimeUnit.SECONDS);
            byte[] big = new byte[65536];
            Channel ch = stream.openChannel(ChannelType.DISCARD, new ChannelHandler() {
                private boolean resumed;

                @Override
                public void readyToWrite(Channel channel) {
                    if (!resumed) {
                        resumed = true;
                        channel.write(PacketType.DATA, new byte[8]); // the writer goes on, as documented
                    }
                }

                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    report.complete(DiscardService.readReport(data));
                }
            }).get(10, TimeUnit.SECONDS);
            CompletableFuture<Long> dataWritten = new CompletableFuture<>();
            loop.get().runOnContext(v -> {
                // Write until the socket pushes back: each 64 KiB frame fills a batch, which is
                // flushed at once, and one of those flushes drains or fills the socket.
                long written = 0;
                boolean more = true;
                while (more && written < MAX_BIG_WRITES) {
                    more = ch.write(PacketType.DATA, big);
                    written++;
                }
                dataWritten.complete(written);
                ch.write(PacketType.CONTROL, new byte[0]); // the report request, right after the last DATA
            });
            CompletableFuture.anyOf(report, ended).get(20, TimeUnit.SECONDS);
            assertFalse(ended.isDone(), () -> "the stream ended: " + ended.join());
            // The report counts the DATA before the request: all the big ones, and not the small
            // one readyToWrite sends, which must come after the write in progress.
            long n = dataWritten.get();
            assertArrayEquals(new long[] {n, n * 65536}, report.get());
        } finally {
            server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            serverVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
