package org.dapstream;

import io.quarkus.runtime.Quarkus;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * What SIGINT and SIGTERM do: the first one starts the orderly shutdown (which drains the
 * streams, see ShutdownDrain, and can take the whole grace period); any later one, while that
 * shutdown is still under way, ends the process at once. This is the usual "press Ctrl-C again
 * to force" of servers, so a developer never has to wait for a drain nor reach for {@code kill -9}.
 *
 * <p>The handlers are {@code sun.misc.Signal}'s, and javac warns about it on every build ("internal
 * proprietary API"; the warning cannot be suppressed, neither by {@code @SuppressWarnings} nor by
 * a lint option, as it is not a lint warning). Java SE has no API for signal handlers: the JVM's
 * own SIGTERM handling runs the shutdown hooks and exits with 143, and a second signal then
 * waits for the same hooks. {@code sun.misc.Signal} is in the {@code jdk.unsupported} module,
 * one of the critical internal APIs JDK 9 kept exported on purpose until a replacement exists
 * (JEP 260). Reflection would silence the
 * warning without making the use any more supported, so the use stays visible, here only.
 */
final class ShutdownSignals {
    /** Exit status of a process ended by SIGINT: 128 + 2, as the JVM's own handler and shells use. */
    static final int INT_STATUS = 130;
    /** Exit status of a process ended by SIGTERM: 128 + 15. */
    static final int TERM_STATUS = 143;

    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final IntConsumer halt;

    /**
     * SIGTERM is how Kubernetes (and systemd, and {@code docker stop}) ask a service to stop:
     * it is an orderly exit, so it goes through Quarkus' own shutdown (the drain included,
     * see ShutdownDrain) and ends with status 0, not the JVM's default 143 for a signal. A first
     * SIGINT (Ctrl-C) does what the JVM's default handler does: exit with 130 through the
     * shutdown hooks, which drain too. A second SIGINT or SIGTERM during that shutdown halts at
     * once. It must be {@code halt}, not {@code exit}: exit would wait for the very shutdown
     * hooks that are still draining, so the second signal would change nothing.
     */
    static void install() {
        ShutdownSignals signals = new ShutdownSignals(status -> Runtime.getRuntime().halt(status));
        handle("TERM", signal -> signals.received(signal.getName(), () -> Quarkus.asyncExit(0)));
        handle("INT", signal -> signals.received(signal.getName(), () -> System.exit(INT_STATUS)));
    }

    private static void handle(String name, SignalHandler handler) {
        try {
            Signal.handle(new Signal(name), handler);
        } catch (IllegalArgumentException e) {
            // No such signal on this platform, or the JVM reserves it (-Xrs), or it was ignored
            // when the process started (nohup): keep the default.
        }
    }

    /** @param halt ends the process with the given status without running shutdown hooks */
    ShutdownSignals(IntConsumer halt) {
        this.halt = halt;
    }

    /**
     * One signal, named as {@link Signal#getName()} does ({@code INT}, {@code TERM}):
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
