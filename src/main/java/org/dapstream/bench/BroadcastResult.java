package org.dapstream.bench;

import java.util.Locale;

/**
 * What one broadcast run measured.
 *
 * @param deliveries     messages received by all members together in the window
 * @param publishes      messages published in the window
 * @param elapsedNanos   length of the window
 * @param latency        publish-to-delivery times of the messages received in the window
 * @param published      messages published in the whole run (warm-up and drain included)
 * @param minReceived    the fewest messages one member received in the whole run
 * @param maxReceived    the most
 * @param gapNotices     gap notices the members received
 * @param gapMissed      messages those notices said were missed
 * @param nodeGapNotices gap notices the nodes counted sending
 * @param nodeMissed     deliveries the nodes counted as missed
 * @param outOfOrder     messages that came at or below a sequence number already seen (must be 0)
 * @param skipped        sequence numbers jumped over (what gap notices account for)
 * @param unexpected     balanced messages or refusals a member got (must be 0)
 * @param pressureWaits  times publish answered false
 * @param windowWaits    times the in-flight window was full
 * @param inFlight       the in-flight window in messages ({@link BenchOptions#NO_IN_FLIGHT_LIMIT}: none)
 * @param processCpu     CPU of the whole JVM in the window ({@link ProcessCpu#UNKNOWN} if not known)
 * @param nodeCpu        per node, CPU of its event loops in the window
 * @param clientCpu      CPU of the clients' event loops (members and publisher) in the window
 * @param jitMillis      JIT compile time inside the window
 */
record BroadcastResult(BenchOptions options, long deliveries, long publishes, long elapsedNanos, LatencyRecorder latency,
                       long published, long minReceived, long maxReceived, long gapNotices, long gapMissed,
                       long nodeGapNotices, long nodeMissed, long outOfOrder, long skipped, long unexpected,
                       long pressureWaits, long windowWaits, long inFlight, long processCpu, long[] nodeCpu, long clientCpu,
                       long jitMillis) {
    private static final double NANOS_PER_SECOND = 1e9;

    double deliveriesPerSecond() {
        return elapsedNanos <= 0 ? 0 : deliveries * NANOS_PER_SECOND / elapsedNanos;
    }

    double publishesPerSecond() {
        return elapsedNanos <= 0 ? 0 : publishes * NANOS_PER_SECOND / elapsedNanos;
    }

    /** True when every member got every message once, in order, and nobody missed anything. */
    boolean valid() {
        return gapNotices == 0 && gapMissed == 0 && nodeMissed == 0 && outOfOrder == 0 && skipped == 0 && unexpected == 0
                && minReceived == published && maxReceived == published;
    }

    private double cores(long nanos) {
        return (double) nanos / elapsedNanos;
    }

    /**
     * E.g. {@code broadcast security=on nodes=3 members=30 size=64: 1,234,567 deliveries/s 41,152 publishes/s
     * p50=...}, then the checks, the CPU and the counts.
     */
    String line() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "broadcast security=%s compression=%s payload=%s size=%d nodes=%d members=%d%s in-flight=%s: %,.0f deliveries/s %,.0f publishes/s",
                options.security().option(), options.compression().option(), options.payload().option(), options.size(), options.nodes(),
                options.members(), options.rate() == BenchOptions.UNLIMITED_RATE ? "" : " rate=" + options.rate(), inFlight == BenchOptions.NO_IN_FLIGHT_LIMIT ? "off" : Long.toString(inFlight),
                deliveriesPerSecond(), publishesPerSecond()));
        if (latency.count() > 0) {
            b.append(String.format(Locale.ROOT, " publish-to-delivery p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus",
                    latency.percentileMicros(50), latency.percentileMicros(99), latency.percentileMicros(99.9), latency.maxMicros()));
        }
        b.append(String.format(Locale.ROOT, "; gaps: %d notices, %d missed (nodes: %d, %d)", gapNotices, gapMissed, nodeGapNotices, nodeMissed));
        b.append(String.format(Locale.ROOT, "; every member %s: %,d..%,d of %,d published, out of order %d, unexpected %d",
                valid() ? "got every message once, in order" : "DID NOT get every message once", minReceived, maxReceived, published,
                outOfOrder, unexpected));
        if (processCpu != ProcessCpu.UNKNOWN) {
            b.append(String.format(Locale.ROOT, "; cpu: %.2f cores busy, %.2fus/delivery; loops of", cores(processCpu),
                    deliveries == 0 ? 0 : processCpu / 1e3 / deliveries));
            for (int i = 0; i < nodeCpu.length; i++) {
                b.append(String.format(Locale.ROOT, " node%d %.2f", i, cores(nodeCpu[i])));
            }
            b.append(String.format(Locale.ROOT, " clients %.2f", cores(clientCpu)));
        }
        if (jitMillis != JitTime.UNKNOWN) {
            b.append(" jit=").append(jitMillis).append("ms");
        }
        b.append(String.format(Locale.ROOT, " (%,d deliveries in %.3f s; publisher waited %,d times for the node, %,d for the in-flight window)",
                deliveries, elapsedNanos / NANOS_PER_SECOND, pressureWaits, windowWaits));
        return b.toString();
    }
}
