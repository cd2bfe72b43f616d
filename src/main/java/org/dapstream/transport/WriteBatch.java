package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.Future;
import io.vertx.core.net.impl.NetSocketInternal;

/**
 * Coalesces what one connection writes in an event-loop turn into one pooled direct buffer,
 * written in one socket write at the end of the turn, or at once when it holds
 * {@link #FLUSH_THRESHOLD} bytes: many small frames cost one system call. Back-pressure is
 * the socket's own writability, so a writer told to wait always gets a drain event.
 *
 * <p>Shared by {@link VertxTransport} and the load generator's raw baseline, so the
 * baseline batches exactly as the stream does. Event loop only.
 */
public final class WriteBatch {
    /** A batch this large is written at once instead of waiting for the end of the turn: 64 KiB. */
    public static final int FLUSH_THRESHOLD = 64 * 1024;
    /** Smallest batch buffer allocated, so a burst of small frames does not reallocate: 8 KiB. */
    public static final int MIN_BATCH = 8 * 1024;

    private final NetSocketInternal socket;
    private final ChannelHandlerContext chctx;
    private final Runnable flushTask = this::flushAtEndOfTurn;
    private ByteBuf batch;
    private boolean flushScheduled;
    private boolean closed;

    public WriteBatch(NetSocketInternal socket) {
        this.socket = socket;
        this.chctx = socket.channelHandlerContext();
    }

    /** The batch, with room for {@code bytes} more at its writer index; write there, then {@link #committed()}. */
    public ByteBuf claim(int bytes) {
        if (batch == null) {
            batch = chctx.alloc().directBuffer(Math.max(bytes, MIN_BATCH));
        }
        batch.ensureWritable(bytes);
        return batch;
    }

    /** What was written since {@link #claim} (writer index moved) goes out this turn, or now if the batch is full. */
    public void committed() {
        if (batch.readableBytes() >= FLUSH_THRESHOLD) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            chctx.executor().execute(flushTask);
        }
    }

    public boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    /** Bytes committed and not yet written: this turn's batch plus the socket's outbound queue. */
    public long queuedBytes() {
        long queued = batch == null ? 0 : batch.readableBytes();
        ChannelOutboundBuffer outbound = chctx.channel().unsafe().outboundBuffer();
        return outbound == null ? queued : queued + outbound.totalPendingWriteBytes();
    }

    /** Writes what is pending now and stops batching; completes when that write is done. */
    public Future<Void> flushAndClose() {
        ByteBuf out = batch;
        batch = null;
        closed = true;
        if (out == null || !out.isReadable()) {
            if (out != null) {
                out.release();
            }
            return Future.succeededFuture();
        }
        return socket.writeMessage(out);
    }

    /** The socket is gone: drop what is pending. */
    public void discard() {
        closed = true;
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }

    private void flushAtEndOfTurn() {
        flushScheduled = false;
        flush();
    }

    private void flush() {
        ByteBuf out = batch;
        if (out == null || !out.isReadable()) {
            return;
        }
        batch = null;
        if (closed) {
            out.release();
            return;
        }
        socket.writeMessage(out); // Netty releases it once written
    }
}
