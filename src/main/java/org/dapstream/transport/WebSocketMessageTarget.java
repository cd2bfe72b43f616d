package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.vertx.core.Future;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.future.PromiseInternal;

/**
 * A Vert.x WebSocket as a {@link BatchTarget}: each batch leaves as one binary message (or
 * several of at most {@link WebSocketFraming#MAX_SENT_MESSAGE} bytes, slices of it), written
 * to the connection's Netty pipeline as it is: no copy (Vert.x's own {@code writeFrame} copies
 * pooled buffers to the heap). Back-pressure is the channel's writability, the end of the turn
 * a task on its Netty executor, as for TCP ({@link NetSocketTarget}).
 *
 * <p>This writes beneath Vert.x's WebSocket API, on the connection's Netty channel, as
 * {@link NetSocketTarget} does beneath {@code NetSocket}.
 */
public final class WebSocketMessageTarget implements BatchTarget {
    private final ChannelHandlerContext chctx;
    private final ContextInternal context;

    /** @param chctx the context of Vert.x's handler in the WebSocket connection's pipeline */
    public WebSocketMessageTarget(ChannelHandlerContext chctx, ContextInternal context) {
        this.chctx = chctx;
        this.context = context;
    }

    @Override
    public ByteBuf allocate(int capacity) {
        return chctx.alloc().directBuffer(capacity);
    }

    @Override
    public Future<Void> write(ByteBuf batch) {
        // Every message but the last is written unflushed; the last flushes them all in one go.
        while (batch.readableBytes() > WebSocketFraming.MAX_SENT_MESSAGE) {
            chctx.write(new BinaryWebSocketFrame(batch.readRetainedSlice(WebSocketFraming.MAX_SENT_MESSAGE)));
        }
        ChannelFuture written = chctx.writeAndFlush(new BinaryWebSocketFrame(batch)); // Netty releases it once written
        PromiseInternal<Void> promise = context.promise();
        written.addListener(promise);
        return promise.future();
    }

    @Override
    public boolean writeQueueFull() {
        return !chctx.channel().isWritable();
    }

    @Override
    public long queuedBytes() {
        ChannelOutboundBuffer outbound = chctx.channel().unsafe().outboundBuffer();
        return outbound == null ? 0 : outbound.totalPendingWriteBytes();
    }

    @Override
    public void afterTurn(Runnable task) {
        chctx.executor().execute(task);
    }
}
