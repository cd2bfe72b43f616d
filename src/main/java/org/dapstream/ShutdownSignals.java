package org.dapstream;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * What SIGINT and SIGTERM do: the first one starts the orderly shutdown (which drains the
 * streams, see ShutdownDrain, and can take the whole grace period); any later one, while that
 * shutdown is still under way, ends the process at once. This is the usual "press Ctrl-C again
 * to force" of servers, so a developer never has to wait for a drain nor reach for {@code kill -9}.
 */
final class ShutdownSignals {
    /** Exit status of a process ended by SIGINT: 128 + 2, as the JVM's own handler and shells use. */
    static final int INT_STATUS = 130;
    /** Exit status of a process ended by SIGTERM: 128 + 15. */
    static final int TERM_STATUS = 143;

    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final IntConsumer halt;

    /** @param halt ends the process with the given status without running shutdown hooks */
    ShutdownSignals(IntConsumer halt) {
        this.halt = halt;
    }

    /**
     * One signal, named as {@link sun.misc.Signal#getName()} does ({@code INT}, {@code TERM}):
     * the first runs {@code orderlyShutdown}, every later one halts with {@link #status}.
     */
    void received(String signal, Runnable orderlyShutdown) {
        if (shuttingDown.compareAndSet(false, true)) {
            orderlyShutdown.run();
        } else {
            halt.accept(status(signal));
        }
    }

    /** The conventional status of a process ended by {@code signal}: 128 + its number. */
    static int status(String signal) {
        return switch (signal) {
            case "INT" -> INT_STATUS;
            case "TERM" -> TERM_STATUS;
            default -> throw new IllegalArgumentException("not a shutdown signal: " + signal);
        };
    }
}
