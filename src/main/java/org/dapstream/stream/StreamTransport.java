package org.dapstream.stream;

import java.nio.ByteBuffer;

/**
 * What a {@link Stream} needs from the connection beneath it. Implemented by the Vert.x
 * TCP binding and by tests; every method is called on the stream's event loop only.
 *
 * <p>Writes are claim/commit so a frame is encoded straight into the transport's batch
 * buffer: frames committed in one event-loop turn leave in one socket write.
 */
public interface StreamTransport {
    /**
     * A buffer with at least {@code bytes} free from its position on. Write with absolute
     * puts starting at {@code position()}; the buffer is valid until {@link #commit}.
     */
    ByteBuffer claim(int bytes);

    /** The {@code bytes} written at the claimed position form whole frames; send them this turn. */
    void commit(int bytes);

    /** True while the connection's outbound queue is above its high-water mark. */
    boolean writeQueueFull();

    /**
     * Bytes committed and not yet handed to the network: the batch being filled plus the
     * connection's outbound queue. What the stream's output budget counts; 0 where the
     * transport queues nothing of its own.
     */
    default long queuedBytes() {
        return 0;
    }

    /** Stops delivering inbound bytes until {@link #resumeReading()}. */
    void pauseReading();

    void resumeReading();

    /** Sends what is committed, then closes the connection. Idempotent. */
    void close();

    /** Queues {@code task} to run on the stream's event loop, later even when called from it. */
    void execute(Runnable task);

    /** True when the caller is on the stream's event loop. */
    boolean inLoop();

    /** Runs {@code task} every {@code periodMillis} on the event loop until the handle is cancelled. */
    Cancellable every(long periodMillis, Runnable task);

    /** Runs {@code task} once after {@code delayMillis} on the event loop unless cancelled. */
    Cancellable after(long delayMillis, Runnable task);

    /** The peer's address, for logs and the admin view. */
    String remoteAddress();

    /** A scheduled task that can be stopped. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }
}
