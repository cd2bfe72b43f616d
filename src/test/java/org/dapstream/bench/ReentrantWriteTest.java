package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

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
 * <p>Enable once the stream defers writability callbacks out of a write in progress (or
 * takes the seq after {@code claim}).
 */
@Disabled("stream bug: readyToWrite re-enters Stream.write during VertxTransport.claim's flush; see the class comment")
class ReentrantWriteTest {
    @Test
    void aWriteFromReadyToWriteDoesNotOvertakeTheWriteInProgress() throws Exception {
        Vertx serverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        StreamServer server = new StreamServer(serverVertx, new StreamServerOptions("127.0.0.1", 0, 1,
                StreamConfig.defaults(), NodeAddress.NONE), ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        CompletableFuture<CloseReason> ended = new CompletableFuture<>();
        CompletableFuture<long[]> report = new CompletableFuture<>();
        CompletableFuture<Context> loop = new CompletableFuture<>();
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
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
            loop.get().runOnContext(v -> {
                boolean more = ch.write(PacketType.DATA, big); // fills the batch to 64 KiB: back-pressure
                assertFalse(more);
                ch.write(PacketType.CONTROL, new byte[0]);     // claim flushes the batch; readyToWrite runs inside
            });
            CompletableFuture.anyOf(report, ended).get(10, TimeUnit.SECONDS);
            assertFalse(ended.isDone(), () -> "the stream ended: " + ended.join());
            // The report counts the DATA before the request: the big one only (the small one follows it).
            assertArrayEquals(new long[] {1, 65536}, report.get());
        } finally {
            server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            serverVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
