package org.dapstream.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Stream setups per second. Closed loop (no {@code --rate}): {@code --connections}
 * connectors each loop connect, wait until the stream is ready (the secure handshake done,
 * or HELLO/WELCOME when plaintext), close it and wait until it has ended, then start again. Setups that complete inside the window are
 * counted, with their connect-to-ready time; every failed connect, setup or close is counted
 * by its error code over the whole phase, so nothing is dropped silently. Open loop
 * ({@code --rate}): see {@link Schedule}.
 */
final class HandshakeRun {
    /**
     * A connector whose connect or setup failed waits this long before the next try, so a
     * refusing target gets a trickle of attempts instead of a busy loop, and the failure count
     * stays meaningful.
     */
    static final Duration FAILURE_BACKOFF = Duration.ofMillis(10);
    /** Open loop: how often the schedule releases the setups that have come due (Vert.x timers have 1 ms steps). */
    static final long TICK_MILLIS = 1;
    /** Open loop: the failure count of setups due in the window but not started because {@code --connections} were in flight. */
    static final String SKIPPED = "SKIPPED_IN_FLIGHT_CAP";
    /** The same for setups due during the warm-up (a cold JIT makes the first seconds slow), kept apart from the window's. */
    static final String SKIPPED_BEFORE_WINDOW = SKIPPED + "_BEFORE_WINDOW";
    /** How long the connectors may take to finish their last setup and close once the window is over. */
    static final Duration DRAIN_TIMEOUT = Testbed.SETUP_TIMEOUT.plus(Testbed.CLOSE_TIMEOUT);

    private final BenchOptions options;
    private final StreamClient client;
    private final String host;
    private final int port;
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final List<Connector> connectors = new ArrayList<>();
    /** Open loop ({@code --rate}): the schedule that starts setups; null for closed loop. */
    private Schedule schedule;
    private volatile boolean measuring;
    private volatile boolean stopping;

    private HandshakeRun(BenchOptions options, StreamClient client, String host, int port) {
        this.options = options;
        this.client = client;
        this.host = host;
        this.port = port;
    }

    /** One phase: its own server (when embedded) and client, closed again at the end. */
    static PhaseResult run(BenchOptions options, Progress progress, String label) throws BenchFailure {
        EmbeddedServer server = options.embedded() ? EmbeddedServer.start(options) : null;
        try (StreamClient client = new StreamClient(StreamTestbed.clientOptions(options))) {
            String host = server != null ? server.host() : options.target().host();
            int port = server != null ? server.port() : options.target().port();
            return new HandshakeRun(options, client, host, port).measure(progress, label);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private PhaseResult measure(Progress progress, String label) throws BenchFailure {
        if (options.rate() != BenchOptions.UNLIMITED_RATE) {
            schedule = new Schedule();
            schedule.start();
        } else {
            for (int i = 0; i < options.connections(); i++) {
                Connector c = new Connector();
                connectors.add(c);
                c.next();
            }
        }
        progress.step(label, "warm-up", options.warmup(), null, null);
        sleep(options.warmup());
        progress.step(label, "measuring", options.duration(), null, null);
        long cpuAtStart = ProcessCpu.nanos();
        long jitAtStart = JitTime.millis();
        measuring = true;
        long start = System.nanoTime();
        sleep(options.duration());
        measuring = false;
        progress.done();
        long elapsed = System.nanoTime() - start;
        long cpu = ProcessCpu.between(cpuAtStart, ProcessCpu.nanos());
        long jit = JitTime.between(jitAtStart, JitTime.millis());
        stopping = true;
        awaitConnectors();
        LatencyRecorder latency = new LatencyRecorder();
        long completed = 0;
        for (Connector c : connectors) {
            latency.add(c.latency);
            completed += c.completed;
        }
        if (schedule != null) {
            latency.add(schedule.latency);
            completed += schedule.completed;
        }
        Map<String, Long> failed = failureCounts();
        if (completed == 0) {
            throw new BenchFailure("no stream setup to " + host + ":" + port + " completed in the window; failures: "
                    + PhaseResult.failureText(failed));
        }
        return new PhaseResult(TransportKind.STREAM, options, completed, 0, elapsed, latency, null, failed,
                cpu).withJit(jit);
    }

    private void awaitConnectors() throws BenchFailure {
        List<CompletableFuture<Void>> workers = new ArrayList<>(connectors.stream().map(c -> c.done).toList());
        if (schedule != null) {
            workers.add(schedule.done);
        }
        CompletableFuture<?> all = CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new));
        try {
            all.get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            long busy = workers.stream().filter(w -> !w.isDone()).count();
            throw new BenchFailure(String.format(Locale.ROOT, "%d of %d connectors did not finish their last setup and close within %s",
                    busy, workers.size(), BenchOptions.format(DRAIN_TIMEOUT)));
        } catch (ExecutionException e) {
            throw new BenchFailure("a connector failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted while the connectors finished");
        }
    }

    private Map<String, Long> failureCounts() {
        Map<String, Long> counts = new TreeMap<>();
        failures.forEach((code, n) -> counts.put(code, n.sum()));
        return counts;
    }

    private void fail(String what) {
        failures.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    /** Closes a stream that got ready, counts a close that failed or ended abnormally, then runs {@code then}. */
    private void closeAndCount(Stream stream, Runnable then) {
        stream.close();
        stream.closed().whenComplete((reason, closeError) -> {
            if (closeError != null) {
                fail("close:" + failureCode(closeError));
            } else if (reason.code() != ErrorCode.NORMAL.code()) {
                fail("close:" + codeName(reason));
            }
            then.run();
        });
    }

    private static void sleep(Duration time) throws BenchFailure {
        try {
            Thread.sleep(time.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted");
        }
    }

    /**
     * How a failure is counted: the protocol's error code when the stream ended with one,
     * else the kind of exception (a refused or timed-out TCP connect), named by its JDK class.
     */
    static String failureCode(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof StreamException se) {
            return codeName(se.reason());
        }
        return jdkName(e.getClass());
    }

    /** The nearest JDK class of a library's exception (Netty's AnnotatedConnectException is a ConnectException). */
    private static String jdkName(Class<?> type) {
        Class<?> c = type;
        while (c.getSuperclass() != null && !c.getName().startsWith("java.")) {
            c = c.getSuperclass();
        }
        return c.getSimpleName();
    }

    static String codeName(CloseReason reason) {
        ErrorCode code = reason.errorCode();
        return code != null ? code.name() : String.format(Locale.ROOT, "0x%04X", reason.code());
    }

    /**
     * One connector's loop. Its steps run one after the other on the client's event loops,
     * each started by the completion of the previous one, so its fields need no locking; they
     * are read once {@link #done} has completed.
     */
    private final class Connector {
        final LatencyRecorder latency = new LatencyRecorder();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        long completed;

        void next() {
            if (stopping) {
                done.complete(null);
                return;
            }
            long start = System.nanoTime();
            client.connect(host, port).whenComplete((stream, error) -> {
                long ready = System.nanoTime();
                if (error != null) {
                    fail(failureCode(error));
                    client.vertx().setTimer(FAILURE_BACKOFF.toMillis(), t -> next());
                    return;
                }
                if (measuring) {
                    latency.record(ready - start);
                    completed++;
                }
                closeAndCount(stream, this::next);
            });
        }
    }

    /**
     * Open loop: setups start at {@code --rate} per second whatever the earlier ones are
     * doing, as independent clients would arrive, with at most {@code --connections} in
     * flight; a setup due while that many are open is not started and counts as
     * {@link #SKIPPED} (or {@link #SKIPPED_BEFORE_WINDOW} during the warm-up). A 1 ms Vert.x
     * timer releases the setups due since its last tick, and every completion hops back to
     * the timer's context, so the fields need no locking.
     */
    private final class Schedule {
        final LatencyRecorder latency = new LatencyRecorder();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        long completed;
        private long started;
        private int inFlight;
        private long t0;
        private long timer;
        private boolean ticking = true;
        private Context context;

        void start() {
            t0 = System.nanoTime();
            timer = client.vertx().setPeriodic(TICK_MILLIS, id -> tick());
        }

        private void tick() {
            if (context == null) {
                context = Vertx.currentContext();
            }
            if (stopping) {
                if (ticking) {
                    ticking = false;
                    client.vertx().cancelTimer(timer);
                }
                if (inFlight == 0) {
                    done.complete(null);
                }
                return;
            }
            long due = (long) ((System.nanoTime() - t0) * (options.rate() / 1e9));
            for (; started < due; started++) {
                if (inFlight >= options.connections()) {
                    fail(measuring ? SKIPPED : SKIPPED_BEFORE_WINDOW);
                    continue;
                }
                inFlight++;
                attempt();
            }
        }

        private void attempt() {
            long start = System.nanoTime();
            client.connect(host, port).whenComplete((stream, error) -> {
                long ready = System.nanoTime();
                context.runOnContext(v -> {
                    if (error != null) {
                        fail(failureCode(error));
                        ended();
                        return;
                    }
                    if (measuring) {
                        latency.record(ready - start);
                        completed++;
                    }
                    closeAndCount(stream, () -> context.runOnContext(w -> ended()));
                });
            });
        }

        private void ended() {
            inFlight--;
            if (!ticking && inFlight == 0) {
                done.complete(null);
            }
        }
    }
}
