package org.dapstream.stream;

import org.dapstream.admission.HandshakeGate;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool a node's handshake crypto runs on, off the event loops: an ML-DSA-65
 * signature takes about a millisecond, and every other stream of the loop would wait for it.
 * A fixed number of threads and a bounded queue: when the queue is full the job is refused,
 * and the handshake that asked ends with HANDSHAKE_BUSY instead of queueing without bound.
 * Idle threads end after {@link #IDLE_SECONDS} and come back with the next job.
 */
public final class HandshakeWorkers implements HandshakeWork, AutoCloseable {
    /** Jobs waiting for a thread before new ones are refused: as many as the default cap of handshakes in setup. */
    public static final int DEFAULT_QUEUE = HandshakeGate.DEFAULT_MAX_TOTAL;
    /** Worker threads are named this plus a number (logs, thread dumps, tests). */
    public static final String THREAD_PREFIX = "dap-handshake-";
    static final int IDLE_SECONDS = 30;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ThreadPoolExecutor pool;
    private final int threads;
    private final int queue;

    /**
     * @param threads worker threads; 0 = {@link #defaultThreads()}
     * @param queue   jobs that may wait for a thread, at least 1
     */
    public HandshakeWorkers(int threads, int queue) {
        if (threads < 0 || queue < 1) {
            throw new IllegalArgumentException("handshake workers: threads must be >= 0 (0 = half the processors), queue >= 1; got "
                    + threads + " threads, queue " + queue);
        }
        this.threads = threads > 0 ? threads : defaultThreads();
        this.queue = queue;
        int pool = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = job -> {
            Thread t = new Thread(job, THREAD_PREFIX + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = new ThreadPoolExecutor(this.threads, this.threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), factory, new ThreadPoolExecutor.AbortPolicy());
        this.pool.allowCoreThreadTimeOut(true);
    }

    /** {@link #defaultThreads()} threads, {@link #DEFAULT_QUEUE} waiting. */
    public static HandshakeWorkers defaults() {
        return new HandshakeWorkers(0, DEFAULT_QUEUE);
    }

    /**
     * Half the processors, at least one. The event loops (one per processor by default) carry
     * the established streams; workers on every processor too would, under a storm of
     * handshakes, take as much CPU as the loops and hold their frames back. Half leaves the
     * loops most of the machine and still signs thousands of handshakes a second.
     */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    @Override
    public boolean submit(Runnable job) {
        try {
            pool.execute(job);
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    public int threads() {
        return threads;
    }

    public int queue() {
        return queue;
    }

    /** Jobs waiting for a thread now (a monitoring value). */
    public int waiting() {
        return pool.getQueue().size();
    }

    /** Refuses new jobs; the queued ones still run. */
    @Override
    public void close() {
        pool.shutdown();
    }
}
