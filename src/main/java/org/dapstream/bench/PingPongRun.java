package org.dapstream.bench;

import io.vertx.core.Context;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Ping-pong latency over echo lanes: closed loop (one message in flight per lane) without
 * {@code --rate}, open loop at the given rate otherwise. Every lane measures the same
 * window, fixed before it starts: {@code [start + warmup, start + warmup + duration)}.
 */
final class PingPongRun {
    /** How long the echoes still in flight when the window closes may take. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    /** Paced runs begin their common schedule this long after setup, once every lane has started. */
    static final Duration PACING_START_DELAY = OneWayRun.PACING_START_DELAY;

    private final BenchOptions options;
    private final Testbed bed;
    private final List<Pinger> pingers = new ArrayList<>();
    private final Map<Context, LatencyRecorder> recorders = new IdentityHashMap<>();
    private final Map<Context, LatencyRecorder> sendLags = new IdentityHashMap<>();
    private final long windowStart;
    private final Metronome metronome;
    private final Progress progress;
    private final String label;

    PingPongRun(BenchOptions options, Testbed bed, Progress progress, String label) {
        this.options = options;
        this.bed = bed;
        this.progress = progress;
        this.label = label;
        boolean byCount = options.count() != BenchOptions.NO_COUNT;
        this.windowStart = System.nanoTime() + options.warmup().toNanos();
        long windowEnd = byCount ? Long.MAX_VALUE : windowStart + options.duration().toNanos();
        List<Lane> lanes = bed.lanes();
        boolean paced = options.rate() != BenchOptions.UNLIMITED_RATE;
        long t0 = System.nanoTime() + PACING_START_DELAY.toNanos();
        // The lanes' pacers, and the metronome's own copies of the same schedule.
        List<Pacer> pacers = paced ? Pacer.forLanes(t0, options.rate(), lanes.size()) : null;
        List<Pacer> schedules = paced ? Pacer.forLanes(t0, options.rate(), lanes.size()) : List.of();
        for (int i = 0; i < lanes.size(); i++) {
            Lane lane = lanes.get(i);
            Pacer pacer = paced ? pacers.get(i) : null;
            long quota = byCount ? options.count() / lanes.size() + (i < options.count() % lanes.size() ? 1 : 0) : Long.MAX_VALUE;
            LatencyRecorder recorder = recorders.computeIfAbsent(lane.context(), c -> new LatencyRecorder());
            LatencyRecorder lag = sendLags.computeIfAbsent(lane.context(), c -> new LatencyRecorder());
            pingers.add(new Pinger(lane, options.size(), pacer, recorder, lag, windowStart, windowEnd, quota));
        }
        metronome = paced ? new Metronome(pingers.stream().<Runnable>map(p -> p::beat).toList(), schedules) : null;
    }

    PhaseResult run(TransportKind kind) throws BenchFailure {
        for (Pinger p : pingers) {
            p.lane().context().runOnContext(v -> p.start());
        }
        if (metronome != null) {
            metronome.start();
        }
        boolean stopped = false;
        try {
            progress.step(label, "warm-up", options.warmup(), null, null);
            bed.pause(Duration.ofNanos(Math.max(0, windowStart - System.nanoTime())));
            progress.step(label, "measuring", options.count() != BenchOptions.NO_COUNT ? null : options.duration(), "echoes",
                    () -> pingers.stream().mapToLong(Pinger::progress).sum());
            if (options.count() != BenchOptions.NO_COUNT) {
                CompletableFuture<Void> all = CompletableFuture.allOf(pingers.stream()
                        .map(Pinger::quotaReached).toArray(CompletableFuture[]::new));
                bed.awaitProgress(all, () -> pingers.stream().mapToLong(Pinger::progress).sum(), options.count() + " echoes");
            } else {
                long end = windowStart + options.duration().toNanos();
                bed.pause(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
            }
            stopAll();
            stopped = true;
            bed.await(CompletableFuture.allOf(pingers.stream().map(Pinger::drained).toArray(CompletableFuture[]::new)),
                    DRAIN_TIMEOUT, "the echoes still in flight");
        } finally {
            if (!stopped) {
                stopAll();
            }
        }
        long messages = 0;
        long lastAnswer = windowStart;
        for (Pinger p : pingers) {
            messages += p.answeredInWindow();
            lastAnswer = Math.max(lastAnswer, p.lastAnswerNanos());
        }
        LatencyRecorder latency = new LatencyRecorder();
        recorders.values().forEach(latency::add);
        LatencyRecorder lag = null;
        if (metronome != null) {
            lag = new LatencyRecorder();
            sendLags.values().forEach(lag::add);
        }
        long elapsed = options.count() != BenchOptions.NO_COUNT ? lastAnswer - windowStart : options.duration().toNanos();
        return new PhaseResult(kind, options, messages, messages * options.size(), elapsed, latency, lag);
    }

    private void stopAll() {
        if (metronome != null) {
            metronome.close();
        }
        for (Pinger p : pingers) {
            p.lane().context().runOnContext(v -> p.stop());
        }
    }
}
