package org.dapstream.bench;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one phase measured.
 *
 * @param messages     messages counted in the window (at the receiver for one-way, echoes for ping-pong)
 * @param bytes        their payload bytes
 * @param elapsedNanos length of the window
 * @param latency      round trips (ping-pong), null for one-way
 * @param sendLag      open-loop ping-pong: how late messages left after their due time; this
 *                     delay of the load generator, not part of the latency figures,
 *                     which count from the moment a message is handed to the lane (null otherwise)
 * @param failures     handshake mode: failed connects, setups and closes in the window by error code
 *                     (empty otherwise); {@code messages} counts the completed setups
 * @param cpuNanos     handshake and one-way modes: CPU time of this whole JVM in the window (client,
 *                     embedded server, JIT and GC threads; the kernel's work on this process's system
 *                     calls included), {@link ProcessCpu#UNKNOWN} when the JVM cannot tell or did not measure
 * @param jitMillis    handshake and one-way modes: JIT compile time inside the window, part of {@code cpuNanos}
 *                     ({@link JitTime#UNKNOWN} when not measured)
 */
record PhaseResult(TransportKind transport, BenchOptions options, long messages, long bytes, long elapsedNanos,
                   LatencyRecorder latency, LatencyRecorder sendLag, Map<String, Long> failures, long cpuNanos,
                   long wireBytes, long wireMessages, long jitMillis) {
    PhaseResult(TransportKind transport, BenchOptions options, long messages, long bytes, long elapsedNanos,
                LatencyRecorder latency, LatencyRecorder sendLag, Map<String, Long> failures, long cpuNanos) {
        this(transport, options, messages, bytes, elapsedNanos, latency, sendLag, failures, cpuNanos, -1, 0, JitTime.UNKNOWN);
    }

    /**
     * This result with the frame bytes and frames the client's streams sent over the measured
     * window (both counted together on the sending side, so their ratio is exact whatever the
     * receiver's counts lag; one message is one frame up to 64 KiB); -1: not known, e.g. raw.
     */
    PhaseResult withWire(long wire, long sentMessages) {
        return new PhaseResult(transport, options, messages, bytes, elapsedNanos, latency, sendLag, failures, cpuNanos, wire, sentMessages, jitMillis);
    }

    /** This result with the JIT's compile time inside the window ({@link JitTime#UNKNOWN}: not measured). */
    PhaseResult withJit(long millis) {
        return new PhaseResult(transport, options, messages, bytes, elapsedNanos, latency, sendLag, failures, cpuNanos, wireBytes, wireMessages, millis);
    }

    /** Frame bytes on the wire per message frame (header, tag, compression included); NaN when not measured. */
    double wireBytesPerMessage() {
        return wireBytes < 0 || wireMessages == 0 ? Double.NaN : (double) wireBytes / wireMessages;
    }

    /** A one-way or ping-pong phase: no failures are tolerated there, any ends the run. */
    PhaseResult(TransportKind transport, BenchOptions options, long messages, long bytes, long elapsedNanos,
                LatencyRecorder latency, LatencyRecorder sendLag) {
        this(transport, options, messages, bytes, elapsedNanos, latency, sendLag, Map.of(), ProcessCpu.UNKNOWN);
    }

    private static final double NANOS_PER_SECOND = 1e9;
    /** MB/s counts 10^6 payload bytes, headers excluded. */
    private static final double BYTES_PER_MB = 1e6;

    double messagesPerSecond() {
        return elapsedNanos <= 0 ? 0 : messages * NANOS_PER_SECOND / elapsedNanos;
    }

    /** CPU nanoseconds of this JVM per message (or setup); NaN when not measured. */
    double cpuNanosPerMessage() {
        return cpuNanos == ProcessCpu.UNKNOWN || messages == 0 ? Double.NaN : (double) cpuNanos / messages;
    }

    /** {@code "; cpu/msg <name> 1.23"} when both phases measured their CPU, else nothing. */
    private String cpuRatio(String name, PhaseResult base) {
        double ratio = cpuNanosPerMessage() / base.cpuNanosPerMessage();
        return Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "; cpu/msg %s %.3f", name, ratio);
    }

    double megabytesPerSecond() {
        return elapsedNanos <= 0 ? 0 : bytes / BYTES_PER_MB * NANOS_PER_SECOND / elapsedNanos;
    }

    /** E.g. {@code stream oneway security=on size=64 conns=1 ch=1: 2,345,678 msg/s 150.1 MB/s (23,456,780 msgs in 10.000 s)}. */
    String line() {
        if (options.workload() == Workload.HANDSHAKE) {
            return handshakeLine();
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s", transport.option(), options.workload().option()));
        if (transport != TransportKind.RAW) {
            b.append(" security=").append(options.security().option()); // the raw baseline is always plaintext
            b.append(" compression=").append(options.compression().option());
        }
        b.append(" payload=").append(options.payload().option());
        b.append(String.format(Locale.ROOT, " size=%d conns=%d ch=%d", options.size(), options.connections(), options.channels()));
        if (options.rate() != BenchOptions.UNLIMITED_RATE) {
            b.append(" rate=").append(options.rate());
        }
        b.append(String.format(Locale.ROOT, ": %,.0f msg/s %.1f MB/s", messagesPerSecond(), megabytesPerSecond()));
        if (wireBytes >= 0) {
            b.append(String.format(Locale.ROOT, " wire=%.1f B/msg", wireBytesPerMessage()));
        }
        if (cpuNanos != ProcessCpu.UNKNOWN && messages > 0) {
            // What a message costs this JVM (sender and embedded receiver together), steadier than the rate on a shared machine.
            b.append(String.format(Locale.ROOT, " cpu=%.2fus/msg (%.2f cores busy)", cpuNanos / 1e3 / messages, (double) cpuNanos / elapsedNanos));
        }
        b.append(jitText());
        if (latency != null) {
            b.append(String.format(Locale.ROOT, " p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus",
                    latency.percentileMicros(50), latency.percentileMicros(99), latency.percentileMicros(99.9), latency.maxMicros()));
        }
        b.append(String.format(Locale.ROOT, " (%,d msgs in %.3f s", messages, elapsedNanos / NANOS_PER_SECOND));
        if (sendLag != null) {
            b.append(String.format(Locale.ROOT, "; send lag p50=%.1fus p99=%.1fus", sendLag.percentileMicros(50), sendLag.percentileMicros(99)));
        }
        b.append(')');
        return b.toString();
    }

    /**
     * E.g. {@code stream handshake security=on identity=ml-dsa-65 conns=8: 1,234 handshakes/s p50=...us
     * (12,340 handshakes in 10.000 s; failures: none)}.
     */
    private String handshakeLine() {
        String rate = options.rate() == BenchOptions.UNLIMITED_RATE ? "" : " rate=" + options.rate();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s handshake security=%s identity=%s conns=%d%s: %,.0f handshakes/s",
                transport.option(), options.security().option(), options.secure() ? options.identity().configName() : "none",
                options.connections(), rate, messagesPerSecond()));
        if (latency.count() > 0) {
            b.append(String.format(Locale.ROOT, " connect-to-ready p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus",
                    latency.percentileMicros(50), latency.percentileMicros(99), latency.percentileMicros(99.9), latency.maxMicros()));
        }
        if (cpuNanos != ProcessCpu.UNKNOWN && messages > 0) {
            // On a shared machine the rate follows the CPU share this JVM gets; CPU per setup does not.
            b.append(String.format(Locale.ROOT, " cpu=%.2fms/handshake (%.2f cores busy)",
                    cpuNanos / 1e6 / messages, (double) cpuNanos / elapsedNanos));
        }
        b.append(jitText());
        b.append(String.format(Locale.ROOT, " (%,d handshakes in %.3f s; failures: %s)", messages,
                elapsedNanos / NANOS_PER_SECOND, failureText(failures)));
        return b.toString();
    }

    /** {@code " jit=120ms"}: compile time inside the window, when measured. */
    private String jitText() {
        return jitMillis == JitTime.UNKNOWN ? "" : " jit=" + jitMillis + "ms";
    }

    /** {@code none}, or {@code CODE=count} pairs in a stable order. */
    static String failureText(Map<String, Long> failures) {
        if (failures.isEmpty()) {
            return "none";
        }
        return failures.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /** The summary of {@code --security both}: this (secure) over the plaintext baseline. */
    String securityRatioTo(PhaseResult plaintext) {
        String unit = options.workload() == Workload.HANDSHAKE ? "handshakes/s" : "msg/s";
        String throughput = String.format(Locale.ROOT, "ratio secure/plaintext: %.3f (%s)", messagesPerSecond() / plaintext.messagesPerSecond(), unit);
        String cpu = cpuRatio("secure/plaintext", plaintext);
        if (latency == null || plaintext.latency == null || latency.count() == 0 || plaintext.latency.count() == 0) {
            return throughput + cpu;
        }
        return throughput + cpu + String.format(Locale.ROOT, "; latency secure/plaintext: p50 %.2f p99 %.2f",
                latency.percentileMicros(50) / plaintext.latency.percentileMicros(50),
                latency.percentileMicros(99) / plaintext.latency.percentileMicros(99));
    }

    /** {@code --acks both}: this phase (the client offered acknowledgements) against the one without. */
    String acknowledgedRatioTo(PhaseResult unacknowledged) {
        String throughput = String.format(Locale.ROOT, "ratio acknowledged/unacknowledged: %.3f (msg/s)",
                messagesPerSecond() / unacknowledged.messagesPerSecond());
        String cpu = cpuRatio("acknowledged/unacknowledged", unacknowledged);
        if (latency == null || unacknowledged.latency == null || latency.count() == 0 || unacknowledged.latency.count() == 0) {
            return throughput + cpu;
        }
        return throughput + cpu + String.format(Locale.ROOT, "; latency acknowledged/unacknowledged: p50 %.2f p99 %.2f",
                latency.percentileMicros(50) / unacknowledged.latency.percentileMicros(50),
                latency.percentileMicros(99) / unacknowledged.latency.percentileMicros(99));
    }

    /** {@code --compression both}: this (compressed) phase against the uncompressed one. */
    String compressionRatioTo(PhaseResult uncompressed) {
        return String.format(Locale.ROOT, "ratio compressed/uncompressed: %.3f (msg/s); wire bytes per message %.1f vs %.1f (%.3f)",
                messagesPerSecond() / uncompressed.messagesPerSecond(), wireBytesPerMessage(), uncompressed.wireBytesPerMessage(),
                wireBytesPerMessage() / uncompressed.wireBytesPerMessage()) + cpuRatio("compressed/uncompressed", uncompressed);
    }

    /**
     * The summary of {@code --transport both} (this, the stream, over the raw baseline) or
     * {@code stream+websocket} (this, over WebSocket, over the stream on TCP).
     */
    String ratioTo(PhaseResult raw) {
        String names = transport.option() + "/" + raw.transport.option();
        String throughput = String.format(Locale.ROOT, "ratio %s: %.2f", names, messagesPerSecond() / raw.messagesPerSecond());
        if (latency == null || raw.latency == null) {
            return throughput + " (msg/s)" + cpuRatio(names, raw);
        }
        return throughput + String.format(Locale.ROOT, " (msg/s); latency " + names + ": p50 %.2f p99 %.2f p99.9 %.2f max %.2f",
                latency.percentileMicros(50) / raw.latency.percentileMicros(50),
                latency.percentileMicros(99) / raw.latency.percentileMicros(99),
                latency.percentileMicros(99.9) / raw.latency.percentileMicros(99.9),
                latency.maxMicros() / raw.latency.maxMicros());
    }
}
