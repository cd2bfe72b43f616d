package org.dapstream.bench;

import org.dapstream.admission.HandshakeGate;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.HybridKem;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The load generator, {@code bench [options]} (see {@link BenchOptions#USAGE}): runs one-way
 * or ping-pong load against DAP Stream and/or the raw-socket baseline and prints one line
 * per phase, and with {@code --transport both} the stream's figure as a ratio of the raw one,
 * measured in the same run so that noise from the rest of the machine mostly cancels out.
 */
public final class Bench {
    /** Exit status: the run finished. */
    public static final int EXIT_OK = 0;
    /** Exit status: the run failed (connection refused or lost, a timeout); the reason is printed. */
    public static final int EXIT_FAILED = 1;
    /** Exit status: the options are wrong; the message says what to fix. */
    public static final int EXIT_USAGE = 2;

    private Bench() {
    }

    /** Runs {@code bench} with the arguments after the word; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.print(BenchOptions.USAGE);
                return EXIT_OK;
            }
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (OptionException e) {
            err.println("bench: " + e.getMessage());
            return EXIT_USAGE;
        }
        out.println("bench: " + options.describe());
        out.println(jvm());
        out.println("jvm flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        out.println("lz4: " + Lz4Payload.implementation());
        out.println("ml-kem-768: " + HybridKem.mlKemImplementation());
        if (options.workload() == Workload.HANDSHAKE && !options.embedded()
                && options.connections() > HandshakeGate.DEFAULT_MAX_PER_ADDRESS) {
            out.println("note: " + options.connections() + " connectors exceed a node's default cap of "
                    + HandshakeGate.DEFAULT_MAX_PER_ADDRESS + " handshakes in progress per address; refusals count as HANDSHAKE_BUSY failures");
        }
        if (options.workload() == Workload.BROADCAST) {
            return runBroadcast(options, out, err);
        }
        List<PhaseResult> results = new ArrayList<>();
        try {
            for (TransportKind kind : options.transports()) {
                for (Security security : options.security().phases()) {
                    for (Compression compression : options.compression().phases()) {
                        PhaseResult r = runPhase(kind, options.withSecurity(security).withCompression(compression));
                        results.add(r);
                        out.println(r.line());
                        out.flush();
                    }
                }
            }
        } catch (BenchFailure e) {
            err.println("bench: run failed: " + e.getMessage());
            return EXIT_FAILED;
        } catch (RuntimeException e) {
            err.println("bench: run failed: " + e);
            e.printStackTrace(err);
            return EXIT_FAILED;
        }
        if (options.compression() == Compression.BOTH) {
            out.println(results.get(1).compressionRatioTo(results.get(0)));
        } else if (options.security() == Security.BOTH) {
            out.println(results.get(1).securityRatioTo(results.get(0)));
        } else if (options.compares()) {
            out.println(results.get(1).ratioTo(results.get(0)));
        }
        return EXIT_OK;
    }

    /** {@code --mode broadcast}: one run over fresh member nodes; exits 1 when a member missed or repeated a message. */
    private static int runBroadcast(BenchOptions options, PrintStream out, PrintStream err) {
        try {
            BroadcastResult r = BroadcastRun.run(options);
            out.println(r.line());
            out.flush();
            if (!r.valid()) {
                err.println("bench: not a valid broadcast run: a member missed, repeated or reordered messages (see the line above)");
                return EXIT_FAILED;
            }
            return EXIT_OK;
        } catch (BenchFailure e) {
            err.println("bench: run failed: " + e.getMessage());
            return EXIT_FAILED;
        } catch (RuntimeException e) {
            err.println("bench: run failed: " + e);
            e.printStackTrace(err);
            return EXIT_FAILED;
        }
    }

    /** One phase on a fresh testbed, so that no phase inherits the other's connections or buffers. */
    static PhaseResult runPhase(TransportKind kind, BenchOptions options) throws BenchFailure {
        if (options.workload() == Workload.HANDSHAKE) {
            return HandshakeRun.run(options);
        }
        try (Testbed bed = kind == TransportKind.RAW ? RawBaseline.open(options) : StreamTestbed.open(options, kind)) {
            return options.workload() == Workload.ONEWAY
                    ? new OneWayRun(options, bed).run(kind)
                    : new PingPongRun(options, bed).run(kind);
        }
    }

    private static String jvm() {
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "jvm: %s %s (%s), %d processors, max heap %d MiB",
                System.getProperty("java.vm.name"), Runtime.version(), System.getProperty("java.vm.vendor"),
                rt.availableProcessors(), rt.maxMemory() / (1024 * 1024));
    }
}
