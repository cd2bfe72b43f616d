package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;

/**
 * Coalesces what one connection writes in an event-loop turn into one pooled direct buffer,
 * written in one write at the end of the turn, or at once when it holds
 * {@link #FLUSH_THRESHOLD} bytes: many small frames cost one system call. Back-pressure is
 * the connection's own writability, so a writer told to wait always gets a drain event.
 * Where a batch goes is the connection's {@link BatchTarget} (a TCP socket:
 * {@link NetSocketTarget}).
 *
 * <p>Shared by {@link VertxTransport} and the load generator's raw baseline, so the
 * baseline batches exactly as the stream does. Event loop only.
 */
public final class WriteBatch {
    /** A batch this large is written at once instead of waiting for the end of the turn: 64 KiB. */
    public static final int FLUSH_THRESHOLD = 64 * 1024;
    /** Smallest batch buffer allocated, so a burst of small frames does not reallocate: 8 KiB. */
    public static final int MIN_BATCH = 8 * 1024;

    private final BatchTarget target;
    private final Runnable flushTask = this::flushAtEndOfTurn;
    private ByteBuf batch;
    private boolean flushScheduled;
    private boolean closed;

    public WriteBatch(BatchTarget target) {
        this.target = target;
    }

    /** The batch, with room for {@code bytes} more at its writer index; write there, then {@link #committed()}. */
    public ByteBuf claim(int bytes) {
        if (batch == null) {
            batch = target.allocate(Math.max(bytes, MIN_BATCH));
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
            target.afterTurn(flushTask);
        }
    }

    public boolean writeQueueFull() {
        return target.writeQueueFull();
    }

    /** Bytes committed and not yet written: this turn's batch plus the connection's outbound queue. */
    public long queuedBytes() {
        return (batch == null ? 0 : batch.readableBytes()) + target.queuedBytes();
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
        return target.write(out);
    }

    /** The connection is gone: drop what is pending. */
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
        target.write(out); // released once written
    }
}
