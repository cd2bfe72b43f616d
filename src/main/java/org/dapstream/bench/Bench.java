package org.dapstream.bench;

import org.dapstream.admission.HandshakeGate;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.HybridKem;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The load generator, {@code bench [options]} (see {@link BenchCommand}): runs one-way
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
        return BenchCommand.run(args, out, err);
    }

    /** Runs checked options: progress on {@code progress}, results on {@code out}, files through {@code reports}. */
    static int run(BenchOptions options, BenchReports reports, Progress progress, PrintStream out, PrintStream err) {
        List<String> header = new ArrayList<>();
        header.add("bench: " + options.describe());
        header.add(jvm());
        header.add("jvm flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        header.add("lz4: " + Lz4Payload.implementation());
        header.add("ml-kem-768: " + HybridKem.mlKemImplementation());
        header.forEach(out::println);
        if (options.workload() == Workload.HANDSHAKE && !options.embedded()
                && options.connections() > HandshakeGate.DEFAULT_MAX_PER_ADDRESS) {
            out.println("note: " + options.connections() + " connectors exceed a node's default cap of "
                    + HandshakeGate.DEFAULT_MAX_PER_ADDRESS + " handshakes in progress per address; refusals count as HANDSHAKE_BUSY failures");
        }
        try {
            int status = options.workload() == Workload.BROADCAST
                    ? runBroadcast(options, reports, progress, out, err)
                    : runPhases(options, reports, progress, out, err);
            if (status == EXIT_OK || options.workload() == Workload.BROADCAST) {
                reports.write(options, header, out);
            }
            return status;
        } catch (IOException e) {
            err.println("bench: could not write a report: " + e);
            return EXIT_FAILED;
        } finally {
            progress.close();
        }
    }

    private static int runPhases(BenchOptions options, BenchReports reports, Progress progress, PrintStream out, PrintStream err) {
        List<PhaseResult> results = new ArrayList<>();
        try {
            for (TransportKind kind : options.transports()) {
                for (Security security : options.security().phases()) {
                    for (Compression compression : options.compression().phases()) {
                        for (Acknowledging acks : options.acks().phases()) {
                            BenchOptions phase = options.withSecurity(security).withCompression(compression).withAcks(acks);
                            PhaseResult r = runPhase(kind, phase, progress);
                            results.add(r);
                            out.println(r.line());
                            out.flush();
                            reports.add(phaseName(options, kind, phase), r.line(), r.latency());
                        }
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
        if (options.acks() == Acknowledging.BOTH) {
            out.println(results.get(1).acknowledgedRatioTo(results.get(0)));
        } else if (options.compression() == Compression.BOTH) {
            out.println(results.get(1).compressionRatioTo(results.get(0)));
        } else if (options.security() == Security.BOTH) {
            out.println(results.get(1).securityRatioTo(results.get(0)));
        } else if (options.compares()) {
            out.println(results.get(1).ratioTo(results.get(0)));
        }
        return EXIT_OK;
    }

    /** What tells this phase from the run's other one: {@code raw}, {@code plaintext}, {@code compressed}... */
    static String phaseName(BenchOptions run, TransportKind kind, BenchOptions phase) {
        if (run.acks() == Acknowledging.BOTH) {
            return phase.acknowledging() ? "acknowledged" : "unacknowledged";
        }
        if (run.compression() == Compression.BOTH) {
            return phase.compressing() ? "compressed" : "uncompressed";
        }
        if (run.security() == Security.BOTH) {
            return phase.secure() ? "secure" : "plaintext";
        }
        return kind.option();
    }

    /** {@code --mode broadcast}: one run over fresh member nodes; exits 1 when a member missed or repeated a message. */
    private static int runBroadcast(BenchOptions options, BenchReports reports, Progress progress, PrintStream out, PrintStream err) {
        try {
            BroadcastResult r = BroadcastRun.run(options, progress);
            out.println(r.line());
            out.flush();
            reports.add("broadcast", r.line(), r.latency());
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
    static PhaseResult runPhase(TransportKind kind, BenchOptions options, Progress progress) throws BenchFailure {
        String label = kind.option() + " " + options.workload().option();
        if (options.workload() == Workload.HANDSHAKE) {
            return HandshakeRun.run(options, progress, label);
        }
        try (Testbed bed = kind == TransportKind.RAW ? RawBaseline.open(options) : StreamTestbed.open(options, kind)) {
            return options.workload() == Workload.ONEWAY
                    ? new OneWayRun(options, bed, progress, label).run(kind)
                    : new PingPongRun(options, bed, progress, label).run(kind);
        } finally {
            progress.done();
        }
    }

    private static String jvm() {
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "jvm: %s %s (%s), %d processors, max heap %d MiB",
                System.getProperty("java.vm.name"), Runtime.version(), System.getProperty("java.vm.vendor"),
                rt.availableProcessors(), rt.maxMemory() / (1024 * 1024));
    }
}
