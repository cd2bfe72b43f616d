package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Reading futures without ever blocking: the engine completes them on the (test) loop, so one
 * that is not done when a test looks is a failure, not something to wait for. A bare
 * {@code join()} would hang the build on a regression instead of failing it.
 */
final class Futures {
    private Futures() {
    }

    /** The value of a future that must already have completed normally. */
    static <T> T done(CompletableFuture<T> f) {
        assertTrue(f.isDone(), "the future has not completed");
        assertTrue(!f.isCompletedExceptionally(), () -> "the future failed: " + failure(f));
        return f.join();
    }

    /** The cause of a future that must already have failed. */
    static Throwable failure(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "the future has not completed");
        try {
            Object value = f.join();
            throw new AssertionError("expected a failed future, it completed with " + value);
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
