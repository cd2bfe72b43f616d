package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;

/**
 * Where a {@link WriteBatch} sends its batches: the write side of one connection, on its event
 * loop. The TCP socket is {@link NetSocketTarget}; another transport (a WebSocket, say)
 * supplies its own, and its batches keep the same shape: one pooled direct buffer per
 * event-loop turn, handed over whole.
 */
public interface BatchTarget {
    /** A direct buffer from the connection's allocator, with at least {@code capacity} bytes of room. */
    ByteBuf allocate(int capacity);

    /**
     * Hands {@code batch} to the connection, which owns it from now on and releases it once
     * written; completes when it has been written.
     */
    Future<Void> write(ByteBuf batch);

    /** True while the connection's outbound queue is above its high-water mark; it says so again when writable. */
    boolean writeQueueFull();

    /** Bytes handed over by {@link #write} and not yet sent: the connection's outbound queue. */
    long queuedBytes();

    /** Runs {@code task} on the connection's event loop once the current turn's work is done. */
    void afterTurn(Runnable task);
}
