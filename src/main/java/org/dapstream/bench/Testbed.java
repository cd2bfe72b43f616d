package org.dapstream.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The connections of one phase, set up and ready: a client (and, unless the target is
 * remote, a server) with {@code connections x channels} lanes towards a discard or echo
 * receiver.
 */
interface Testbed extends AutoCloseable {
    /** How long a connect, a channel open or a server start may take. */
    Duration SETUP_TIMEOUT = Duration.ofSeconds(10);
    /** How long an orderly close may take before the connections are dropped. */
    Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
    /** A run whose message count stands still this long is stuck: 10 s. */
    Duration STALL_TIMEOUT = Duration.ofSeconds(10);

    /** Frame bytes and frames the client side has sent so far; a message of up to 64 KiB is one frame. */
    record WireCount(long bytes, long frames) {
    }

    /**
     * What the client side has sent so far, read on each stream's event loop so that bytes and
     * frames are of the same moment (read from another thread, the loop's unpublished counter
     * updates made the mean frame size of a 16 KiB run come out above the frame's own size);
     * null when not known (the raw baseline).
     */
    default WireCount wireSent() throws BenchFailure {
        return null;
    }

    /** Every producer's lane. */
    List<Lane> lanes();

    /**
     * The lanes whose report requests cover all the others: every stream channel counts its
     * own messages; a raw socket counts all of its lanes together, so only its first reports.
     */
    List<Lane> reporters();

    /** Fails when a connection ends or breaks during the run; never completes normally. */
    CompletableFuture<Void> failure();

    @Override
    void close();

    /** Waits for {@code f}, failing early when the testbed fails. */
    default <T> T await(CompletableFuture<T> f, Duration timeout, String what) throws BenchFailure {
        return await(f, failure(), timeout, what);
    }

    /** Waits for {@code f} up to {@code timeout}, failing early when {@code failure} completes (with its cause). */
    static <T> T await(CompletableFuture<T> f, CompletableFuture<?> failure, Duration timeout, String what) throws BenchFailure {
        try {
            CompletableFuture.anyOf(f, failure).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return f.getNow(null);
        } catch (TimeoutException e) {
            throw new BenchFailure("timed out after " + BenchOptions.format(timeout) + " waiting for " + what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new BenchFailure(what + " failed: " + (cause.getMessage() != null ? cause.getMessage() : cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted while waiting for " + what);
        }
    }

    /**
     * Waits for {@code f} as long as {@code progress} keeps moving; fails once it has stood
     * still for {@link #STALL_TIMEOUT}.
     */
    default void awaitProgress(CompletableFuture<?> f, LongSupplier progress, String what) throws BenchFailure {
        long last = progress.getAsLong();
        while (true) {
            try {
                CompletableFuture.anyOf(f, failure()).get(STALL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
                return;
            } catch (TimeoutException e) {
                long now = progress.getAsLong();
                if (now == last) {
                    throw new BenchFailure("no progress for " + BenchOptions.format(STALL_TIMEOUT) + " waiting for " + what);
                }
                last = now;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw new BenchFailure(what + " failed: " + (cause.getMessage() != null ? cause.getMessage() : cause), cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchFailure("interrupted while waiting for " + what);
            }
        }
    }

    /** Lets {@code time} pass, failing early when the testbed fails. */
    default void pause(Duration time) throws BenchFailure {
        pause(failure(), time);
    }

    /** Lets {@code time} pass, failing early when {@code failure} completes (with its cause). */
    static void pause(CompletableFuture<?> failure, Duration time) throws BenchFailure {
        if (time.isZero()) {
            return;
        }
        try {
            failure.get(time.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return; // the time passed with nothing failing
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new BenchFailure(cause.getMessage() != null ? cause.getMessage() : cause.toString(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted");
        }
    }
}
