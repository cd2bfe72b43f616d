package org.dapstream;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * What SIGINT and SIGTERM do: the first one starts the orderly shutdown (which drains the
 * streams, see ShutdownDrain, and can take the whole grace period); any later one, while that
 * shutdown is still under way, ends the process at once. This is the usual "press Ctrl-C again
 * to force" of servers, so a developer never has to wait for a drain nor reach for {@code kill -9}.
 *
 * <p>Java SE has no API for signal handlers: the JVM's own SIGTERM handling runs the shutdown
 * hooks and exits with 143, and a second signal then waits for the same hooks. The handlers are
 * therefore {@code sun.misc.Signal}'s, from the {@code jdk.unsupported} module: one of the
 * critical internal APIs JDK 9 kept exported on purpose until a replacement exists (JEP 260).
 * It is reached by reflection, as JLine does for its terminal signals: compiled against
 * directly, javac repeats an "internal proprietary API" warning on every build that neither
 * {@code @SuppressWarnings} nor a lint option can silence. If a JDK ever drops it, {@link #install}
 * says so on stderr and the JVM's default handling stays (exit 143 after the drain); DrainIT and
 * CommandLineIT, which send SIGTERM to the packaged node and expect 0, would show it. A native
 * image gets the two classes registered for reflection here and the handler's proxy in
 * META-INF/native-image/org.dapstream/dap-stream/proxy-config.json.
 */
@RegisterForReflection(classNames = {ShutdownSignals.SIGNAL_CLASS, ShutdownSignals.HANDLER_CLASS}, methods = true)
final class ShutdownSignals {
    /** Exit status of a process ended by SIGINT: 128 + 2, as the JVM's own handler and shells use. */
    static final int INT_STATUS = 130;
    /** Exit status of a process ended by SIGTERM: 128 + 15. */
    static final int TERM_STATUS = 143;

    /** The JDK's signal API, {@code jdk.unsupported} (see the class comment). */
    static final String SIGNAL_CLASS = "sun.misc.Signal";
    static final String HANDLER_CLASS = "sun.misc.SignalHandler";

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
        handle("TERM", () -> signals.received("TERM", () -> Quarkus.asyncExit(0)));
        handle("INT", () -> signals.received("INT", () -> System.exit(INT_STATUS)));
    }

    /** {@code sun.misc.Signal.handle(new Signal(name), handler)}, through reflection (see the class comment). */
    private static void handle(String name, Runnable onSignal) {
        try {
            Class<?> signalClass = Class.forName(SIGNAL_CLASS);
            Class<?> handlerClass = Class.forName(HANDLER_CLASS);
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onSignal.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "signal handler " + name;
                    });
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            handle.invoke(null, signal, handler);
        } catch (InvocationTargetException e) {
            if (!(e.getCause() instanceof IllegalArgumentException)) {
                System.err.println("SIG" + name + " keeps the JVM's default handling: " + e.getCause());
            }
            // IllegalArgumentException: no such signal on this platform, or the JVM reserves it
            // (-Xrs), or it was ignored when the process started (nohup): keep the default.
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.err.println("SIG" + name + " keeps the JVM's default handling (exit 143 after the drain): " + e);
        }
    }

    /** @param halt ends the process with the given status without running shutdown hooks */
    ShutdownSignals(IntConsumer halt) {
        this.halt = halt;
    }

    /**
     * One signal, named as {@code sun.misc.Signal.getName()} does ({@code INT}, {@code TERM}):
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
