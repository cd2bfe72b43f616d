package org.dapstream.files;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that read and write files for transfers, never an event loop's: a small
 * shared pool, and per transfer a {@link Serial} queue that runs its tasks one after
 * another in order.
 */
public final class FileIo implements AutoCloseable {
    /** Threads for file work: disk, not CPU, is what transfers wait on. */
    public static final int DEFAULT_THREADS = 2;

    private final ExecutorService pool;

    public FileIo(int threads) {
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dap-file-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A queue whose tasks run in order, one at a time, on this pool. */
    Serial serial() {
        return new Serial(pool);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** Tasks of one transfer, in order. */
    static final class Serial implements Executor {
        private final Executor pool;
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        private boolean running;

        Serial(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
                tasks.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            pool.execute(this::drain);
        }

        private void drain() {
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = tasks.poll();
                    if (next == null) {
                        running = false;
                        return;
                    }
                }
                next.run();
            }
        }
    }
}
