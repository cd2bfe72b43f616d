package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.Future;
import io.vertx.core.net.impl.NetSocketInternal;

/**
 * A Vert.x TCP socket as a {@link BatchTarget}: batches go to its Netty pipeline as they
 * are ({@link NetSocketInternal#writeMessage}, no copy), back-pressure is the socket's own
 * writability, and the end of the turn is a task queued on its Netty executor.
 */
public final class NetSocketTarget implements BatchTarget {
    private final NetSocketInternal socket;
    private final ChannelHandlerContext chctx;

    public NetSocketTarget(NetSocketInternal socket) {
        this.socket = socket;
        this.chctx = socket.channelHandlerContext();
    }

    @Override
    public ByteBuf allocate(int capacity) {
        return chctx.alloc().directBuffer(capacity);
    }

    @Override
    public Future<Void> write(ByteBuf batch) {
        return socket.writeMessage(batch); // Netty releases it once written
    }

    @Override
    public boolean writeQueueFull() {
        return socket.writeQueueFull();
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
