package org.dapstream.transport;

import org.dapstream.stream.StreamTransport;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A {@link StreamTransport} with no connection, for tests of what surrounds a stream: the
 * test thread is the event loop, committed bytes are kept, tasks wait for
 * {@link #runPending()} and timers never fire.
 */
final class RecordingTransport implements StreamTransport {
    private byte[] sent = new byte[256];
    private int committed;
    private int claimedAt;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private int closeCalls;

    @Override
    public ByteBuffer claim(int bytes) {
        if (committed + bytes > sent.length) {
            sent = Arrays.copyOf(sent, Math.max(sent.length * 2, committed + bytes));
        }
        claimedAt = committed;
        return ByteBuffer.wrap(sent).position(claimedAt).limit(claimedAt + bytes);
    }

    @Override
    public void commit(int bytes) {
        committed = claimedAt + bytes;
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
        closeCalls++;
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
        return "recording:1";
    }

    void runPending() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run();
        }
    }

    boolean closed() {
        return closeCalls > 0;
    }

    byte[] sent() {
        return Arrays.copyOf(sent, committed);
    }
}
