package org.dapstream.stream;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link StreamTransport} with no socket: committed frames accumulate in a byte array the
 * test reads back; tasks from {@link #execute} wait until {@link #runPending()}; timers live
 * on a {@link ManualScheduler}. The test thread plays the event loop unless {@link #inLoop}
 * is switched off.
 *
 * <p>{@link #claim}/{@link #commit} behave like the Vert.x binding (a second claim before the
 * commit hands out the same region again, and a commit counts from the last claim), so a
 * misuse corrupts the bytes here as it would on a socket; each misuse of the contract is also
 * written to {@link #misuse()}, which the fixtures check after every test.
 */
final class FakeTransport implements StreamTransport {
    private final ManualScheduler scheduler;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<String> misuse = new ArrayList<>();

    private byte[] sent = new byte[256];
    private int committed;
    private int taken;
    private int claimedAt;
    private int claimedBytes;
    private boolean claimOpen;

    /** What {@link #writeQueueFull()} answers. */
    boolean writeQueueFull;
    /** What {@link #inLoop()} answers; true: the test thread is the event loop. */
    boolean inLoop = true;
    private boolean paused;
    private int pauseCalls;
    private int resumeCalls;
    private int closeCalls;
    private int claims;
    private int commits;
    private int tasksRun;

    FakeTransport(ManualScheduler scheduler) {
        this.scheduler = scheduler;
    }

    // ---------------------------------------------------------------- writing

    @Override
    public ByteBuffer claim(int bytes) {
        claims++;
        if (!inLoop) {
            misuse.add("claim(" + bytes + ") off the event loop");
        }
        if (closeCalls > 0) {
            misuse.add("claim(" + bytes + ") after close()");
        }
        if (claimOpen) {
            misuse.add("claim(" + bytes + ") while " + claimedBytes + " claimed bytes at " + claimedAt + " were not committed");
        }
        if (bytes < 0) {
            misuse.add("claim(" + bytes + ")");
        }
        if (committed + bytes > sent.length) {
            sent = Arrays.copyOf(sent, Math.max(sent.length * 2, committed + bytes));
        }
        claimedAt = committed;
        claimedBytes = bytes;
        claimOpen = true;
        // Position at the end of what is committed (not 0), limit exactly at the claim's end:
        // a writer that ignores position() or writes past its claim fails here.
        return ByteBuffer.wrap(sent).position(claimedAt).limit(claimedAt + bytes);
    }

    @Override
    public void commit(int bytes) {
        commits++;
        if (!claimOpen) {
            misuse.add("commit(" + bytes + ") with no claim open");
        }
        if (bytes > claimedBytes) {
            misuse.add("commit(" + bytes + ") of more than the " + claimedBytes + " bytes claimed");
        }
        committed = claimedAt + bytes;
        claimOpen = false;
        if (onCommit != null && bytes > 0) {
            onCommit.accept(ByteBuffer.wrap(sent, claimedAt, bytes).slice().asReadOnlyBuffer());
        }
    }

    /** Sees each committed frame as it is committed (the stream's state is that of its sealing); null: none. */
    java.util.function.Consumer<ByteBuffer> onCommit;

    /** Bytes committed since the previous call. */
    byte[] takeSent() {
        byte[] out = Arrays.copyOfRange(sent, taken, committed);
        taken = committed;
        return out;
    }

    /** Every byte committed so far. */
    byte[] allSent() {
        return Arrays.copyOf(sent, committed);
    }

    int committedBytes() {
        return committed;
    }

    @Override
    public boolean writeQueueFull() {
        return writeQueueFull;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public void pauseReading() {
        pauseCalls++;
        if (paused) {
            misuse.add("pauseReading() while paused");
        }
        paused = true;
    }

    @Override
    public void resumeReading() {
        resumeCalls++;
        if (!paused) {
            misuse.add("resumeReading() while not paused");
        }
        paused = false;
    }

    boolean paused() {
        return paused;
    }

    int pauseCalls() {
        return pauseCalls;
    }

    int resumeCalls() {
        return resumeCalls;
    }

    // ---------------------------------------------------------------- life cycle, loop, timers

    @Override
    public void close() {
        closeCalls++;
    }

    boolean closed() {
        return closeCalls > 0;
    }

    int closeCalls() {
        return closeCalls;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    /** Runs queued tasks, and those they queue, on the "loop" (inLoop is true meanwhile). @return how many ran */
    int runPending() {
        boolean was = inLoop;
        inLoop = true;
        int n = 0;
        try {
            Runnable t;
            while ((t = tasks.poll()) != null) {
                t.run();
                n++;
            }
        } finally {
            inLoop = was;
        }
        tasksRun += n;
        return n;
    }

    int pendingTasks() {
        return tasks.size();
    }

    @Override
    public boolean inLoop() {
        return inLoop;
    }

    @Override
    public Cancellable every(long periodMillis, Runnable task) {
        if (!inLoop) {
            misuse.add("every(" + periodMillis + ") off the event loop");
        }
        return scheduler.every(periodMillis, onLoop(task));
    }

    @Override
    public Cancellable after(long delayMillis, Runnable task) {
        if (!inLoop) {
            misuse.add("after(" + delayMillis + ") off the event loop");
        }
        return scheduler.after(delayMillis, onLoop(task));
    }

    /** Timers fire on the loop whatever the test thread is pretending to be. */
    private Runnable onLoop(Runnable task) {
        return () -> {
            boolean was = inLoop;
            inLoop = true;
            try {
                task.run();
            } finally {
                inLoop = was;
            }
        };
    }

    @Override
    public String remoteAddress() {
        return "fake:4242";
    }

    /** Contract violations seen so far (empty when the stream used the transport correctly). */
    List<String> misuse() {
        return List.copyOf(misuse);
    }

    int claims() {
        return claims;
    }

    int commits() {
        return commits;
    }
}
