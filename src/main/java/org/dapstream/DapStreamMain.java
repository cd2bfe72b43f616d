package org.dapstream;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import org.dapstream.bench.Bench;
import org.dapstream.cli.Keygen;
import org.dapstream.cli.LocalCluster;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.Arrays;

/**
 * Entry point of the packaged application. With no arguments it runs the service; the
 * first argument may name a tool that runs instead, without starting the service:
 * {@code bench} (the load generator), {@code keygen} (a new node identity) or
 * {@code local-cluster} (member nodes on loopback, to try clustering).
 */
@QuarkusMain
public final class DapStreamMain {
    DapStreamMain() {
    }

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("bench")) {
            System.exit(Bench.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("keygen")) {
            System.exit(Keygen.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("local-cluster")) {
            System.exit(LocalCluster.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        exitCleanlyOnSigterm();
        Quarkus.run(args);
    }

    /**
     * SIGTERM is how Kubernetes (and systemd, and {@code docker stop}) ask a service to stop:
     * it is an orderly exit, so it goes through Quarkus' own shutdown (the drain included,
     * see ShutdownDrain) and ends with status 0, not the JVM's default 143 for a signal. A first
     * SIGINT (Ctrl-C) does what the JVM's default handler does: exit with 130 through the
     * shutdown hooks, which drain too. A second SIGINT or SIGTERM during that shutdown halts at
     * once (ShutdownSignals). It must be {@code halt}, not {@code exit}: exit would wait for the
     * very shutdown hooks that are still draining, so the second signal would change nothing.
     */
    private static void exitCleanlyOnSigterm() {
        ShutdownSignals signals = new ShutdownSignals(status -> Runtime.getRuntime().halt(status));
        handle("TERM", signal -> signals.received(signal.getName(), () -> Quarkus.asyncExit(0)));
        handle("INT", signal -> signals.received(signal.getName(), () -> System.exit(ShutdownSignals.INT_STATUS)));
    }

    private static void handle(String name, SignalHandler handler) {
        try {
            Signal.handle(new Signal(name), handler);
        } catch (IllegalArgumentException e) {
            // No such signal on this platform, or the JVM reserves it (-Xrs), or it was ignored
            // when the process started (nohup): keep the default.
        }
    }
}
