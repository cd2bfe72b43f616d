package org.dapstream;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import org.dapstream.bench.Bench;
import org.dapstream.cli.Keygen;
import org.dapstream.cli.LocalCluster;
import sun.misc.Signal;

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
     * see ShutdownDrain) and ends with status 0, not the JVM's default 143 for a signal.
     */
    private static void exitCleanlyOnSigterm() {
        try {
            Signal.handle(new Signal("TERM"), signal -> Quarkus.asyncExit(0));
        } catch (IllegalArgumentException e) {
            // No SIGTERM on this platform, or the JVM reserves it (-Xrs): keep the default.
        }
    }
}
