package org.dapstream.bench;

import io.vertx.core.Context;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * One-way throughput, measured at the receiver: producers write DATA as fast as the lanes
 * take it (or at {@code --rate}); at the end of the warm-up and at the end of the window
 * every receiver is asked for its counts, in band behind the data, and the figures are the
 * difference divided by the time between the two rounds of answers.
 */
final class OneWayRun {
    /** How long the receivers may take to answer a report request. */
    static final Duration REPORT_TIMEOUT = Duration.ofSeconds(10);
    /** Paced runs begin their common schedule this long after setup, once every lane has started. */
    static final Duration PACING_START_DELAY = Duration.ofMillis(20);

    private final BenchOptions options;
    private final Testbed bed;
    private final List<Producer> producers = new ArrayList<>();
    private final Metronome metronome;
    private final Progress progress;
    private final String label;
    private volatile ReportRound round;

    OneWayRun(BenchOptions options, Testbed bed, Progress progress, String label) {
        this.options = options;
        this.bed = bed;
        this.progress = progress;
        this.label = label;
        List<Lane> lanes = bed.lanes();
        boolean paced = options.rate() != BenchOptions.UNLIMITED_RATE;
        long t0 = System.nanoTime() + PACING_START_DELAY.toNanos();
        // The lanes' pacers, and the metronome's own copies of the same schedule.
        List<Pacer> pacers = paced ? Pacer.forLanes(t0, options.rate(), lanes.size()) : null;
        List<Pacer> schedules = paced ? Pacer.forLanes(t0, options.rate(), lanes.size()) : List.of();
        for (int i = 0; i < lanes.size(); i++) {
            Lane lane = lanes.get(i);
            Pacer pacer = paced ? pacers.get(i) : null;
            producers.add(new Producer(lane, options.payload().fill(options.size()), pacer, () -> round));
        }
        metronome = paced ? new Metronome(producers.stream().<Runnable>map(p -> p::beat).toList(), schedules) : null;
    }

    PhaseResult run(TransportKind kind) throws BenchFailure {
        for (Producer p : producers) {
            p.lane().context().runOnContext(v -> p.start());
        }
        if (metronome != null) {
            metronome.start();
        }
        try {
            LongSupplier sent = () -> producers.stream().mapToLong(Producer::progress).sum();
            progress.step(label, "warm-up", options.warmup(), "sent", sent);
            bed.pause(options.warmup());
            progress.step(label, "measuring", options.count() != BenchOptions.NO_COUNT ? null : options.duration(), "sent", sent);
            ReportRound first = reportRound(options.count() != BenchOptions.NO_COUNT);
            Testbed.WireCount wireBefore = bed.wireSent();
            long cpuBefore = ProcessCpu.nanos();
            long jitBefore = JitTime.millis();
            if (options.count() != BenchOptions.NO_COUNT) {
                CompletableFuture<Void> all = CompletableFuture.allOf(producers.stream()
                        .map(Producer::quotaReached).toArray(CompletableFuture[]::new));
                bed.awaitProgress(all, () -> producers.stream().mapToLong(Producer::progress).sum(), options.count() + " messages");
            } else {
                bed.pause(options.duration());
            }
            ReportRound last = reportRound(false);
            Testbed.WireCount wireAfter = bed.wireSent();
            long cpu = ProcessCpu.between(cpuBefore, ProcessCpu.nanos());
            long jit = JitTime.between(jitBefore, JitTime.millis());
            return new PhaseResult(kind, options, last.messages() - first.messages(), last.bytes() - first.bytes(),
                    last.lastAnswerNanos() - first.lastAnswerNanos(), null, null, Map.of(), cpu)
                    .withWire(wireBefore == null ? -1 : wireAfter.bytes() - wireBefore.bytes(),
                            wireBefore == null ? 0 : wireAfter.frames() - wireBefore.frames())
                    .withJit(jit);
        } finally {
            if (metronome != null) {
                metronome.close();
            }
            for (Producer p : producers) {
                p.lane().context().runOnContext(v -> p.stop());
            }
        }
    }

    /**
     * Asks every receiver for its counts. Lanes sharing a loop are handled in one task, so a
     * raw socket's report and the quota marks of all its lanes see the same messages.
     */
    private ReportRound reportRound(boolean markQuotas) throws BenchFailure {
        ReportRound r = new ReportRound(bed.reporters().size());
        round = r;
        Set<Lane> reporters = Collections.newSetFromMap(new IdentityHashMap<>());
        reporters.addAll(bed.reporters());
        Map<Context, List<Producer>> byLoop = new LinkedHashMap<>();
        Map<Producer, Long> quotas = new IdentityHashMap<>();
        for (int i = 0; i < producers.size(); i++) {
            Producer p = producers.get(i);
            byLoop.computeIfAbsent(p.lane().context(), c -> new ArrayList<>()).add(p);
            quotas.put(p, quota(i));
        }
        for (Map.Entry<Context, List<Producer>> loop : byLoop.entrySet()) {
            loop.getKey().runOnContext(v -> {
                for (Producer p : loop.getValue()) {
                    if (reporters.contains(p.lane())) {
                        p.lane().requestReport();
                    }
                    if (markQuotas) {
                        p.mark(quotas.get(p));
                    }
                }
            });
        }
        return bed.await(r.done(), REPORT_TIMEOUT, "the receivers' message counts");
    }

    /** Lane {@code i}'s share of {@code --count}: an even split, the remainder to the first lanes. */
    private long quota(int i) {
        long n = producers.size();
        return options.count() / n + (i < options.count() % n ? 1 : 0);
    }
}
