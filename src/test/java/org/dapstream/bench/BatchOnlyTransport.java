package org.dapstream.bench;

import org.dapstream.stream.StreamTransport;
import org.dapstream.transport.WriteBatch;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A transport with no socket, for measuring the stream's own per-frame cost: frames are
 * encoded into one direct buffer, which is "flushed" (rewound) at 64 KiB as
 * {@code VertxTransport} flushes its batch. It is always on the loop and never backed up.
 */
public final class BatchOnlyTransport implements StreamTransport {
    private static final int CAPACITY = 1024 * 1024;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(CAPACITY);
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private int fill;
    private long committed;

    @Override
    public ByteBuffer claim(int bytes) {
        if (fill >= WriteBatch.FLUSH_THRESHOLD || fill + bytes > CAPACITY) {
            fill = 0;
        }
        batch.limit(CAPACITY).position(fill);
        return batch;
    }

    @Override
    public void commit(int bytes) {
        fill += bytes;
        committed += bytes;
    }

    /** Bytes committed since the start. */
    public long committed() {
        return committed;
    }

    /** Runs the tasks the stream queued for "later". */
    public void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            r.run();
        }
    }

    @Override
    public boolean writeQueueFull() {
        return false;
    }

    @Override
    public void pauseReading() {
    }

    @Override
    public void resumeReading() {
    }

    @Override
    public void close() {
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    @Override
    public boolean inLoop() {
        return true;
    }

    @Override
    public Cancellable every(long periodMillis, Runnable task) {
        return () -> { };
    }

    @Override
    public Cancellable after(long delayMillis, Runnable task) {
        return () -> { };
    }

    @Override
    public String remoteAddress() {
        return "benchmark";
    }
}
