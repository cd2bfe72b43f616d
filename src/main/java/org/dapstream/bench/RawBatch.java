package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.net.impl.NetSocketInternal;
import org.dapstream.transport.VertxTransport;

/**
 * The raw baseline's writer, batching exactly as {@link VertxTransport} does, so the
 * comparison isolates the protocol: messages written in one event-loop turn go into one
 * pooled direct buffer, written once at the end of the turn or as soon as it holds
 * {@link #FLUSH_THRESHOLD} bytes; back-pressure is the socket's, as there.
 */
final class RawBatch {
    static final int FLUSH_THRESHOLD = VertxTransport.FLUSH_THRESHOLD;
    /** VertxTransport's smallest batch: 8 KiB. */
    static final int MIN_BATCH = 8 * 1024;

    private final NetSocketInternal socket;
    private final ChannelHandlerContext chctx;
    private final Runnable flushTask = this::flushAtEndOfTurn;
    private ByteBuf batch;
    private boolean flushScheduled;
    private boolean closed;

    RawBatch(NetSocketInternal socket) {
        this.socket = socket;
        this.chctx = socket.channelHandlerContext();
    }

    /** Queues one message from an array; true while more may be written. */
    boolean write(int header, byte[] payload, int offset, int length) {
        ByteBuf out = claim(RawFormat.HEADER_SIZE + length);
        out.writeIntLE(header);
        out.writeBytes(payload, offset, length);
        commit();
        return !writeQueueFull();
    }

    /** Queues one message from a received buffer (the echo); true while more may be written. */
    boolean write(int header, ByteBuf payload, int index, int length) {
        ByteBuf out = claim(RawFormat.HEADER_SIZE + length);
        out.writeIntLE(header);
        out.writeBytes(payload, index, length);
        commit();
        return !writeQueueFull();
    }

    /** Queues a count report. */
    void writeReport(long messages, long bytes) {
        ByteBuf out = claim(RawFormat.HEADER_SIZE + RawFormat.REPORT_SIZE);
        out.writeIntLE(RawFormat.CONTROL | RawFormat.REPORT_SIZE);
        out.writeLongLE(messages);
        out.writeLongLE(bytes);
        commit();
    }

    private ByteBuf claim(int bytes) {
        if (batch == null) {
            batch = chctx.alloc().directBuffer(Math.max(bytes, MIN_BATCH));
        }
        batch.ensureWritable(bytes);
        return batch;
    }

    private void commit() {
        if (batch.readableBytes() >= FLUSH_THRESHOLD) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            chctx.executor().execute(flushTask);
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

    boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    /** The socket is gone: drop what is queued. */
    void closed() {
        closed = true;
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }
}
