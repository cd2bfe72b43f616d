package org.dapstream.bench;

import org.dapstream.cli.Terminal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What a run is doing while it runs, on stderr so that stdout keeps only the result lines:
 * a line when a step (warm-up, measuring) begins and one per {@link #LINE_INTERVAL} after it when
 * stderr is a file or a pipe (a CI log), or one line
 * rewritten in place every {@link #LIVE_INTERVAL} on a terminal, erased when the phase ends.
 * E.g. {@code bench: stream pingpong: measuring 3 s of 10 s, 120,345 echoes (40,115/s)}.
 */
final class Progress {
    /** Non-terminal output: a line a second is enough to see a run move and short enough for a log. */
    static final Duration LINE_INTERVAL = Duration.ofSeconds(1);
    /** Terminal output: redrawn often enough to read as live, rarely enough to cost nothing. */
    static final Duration LIVE_INTERVAL = Duration.ofMillis(250);

    /** Shows nothing (tests and callers that print their own). */
    static final Progress NONE = new Progress(null, false);

    private final PrintStream err;
    private final boolean live;
    private ScheduledExecutorService ticker;
    private ScheduledFuture<?> ticking;
    private int shownWidth;
    // One phase at a time, set by the run's thread and read by the ticker.
    private String label;
    private String step;
    private Duration length;
    private String unit;
    private LongSupplier count;
    private long startNanos;
    private long lastCount;
    private long lastNanos;

    Progress(PrintStream err, boolean live) {
        this.err = err;
        this.live = live;
    }

    /** Progress on {@code err}: live when it is the process's stderr on a terminal, lines otherwise. */
    static Progress to(PrintStream err) {
        return new Progress(err, err == System.err && terminal());
    }

    /**
     * Starts showing one step of a phase ({@code warm-up}, {@code measuring}).
     *
     * @param label  the phase, e.g. {@code stream oneway}
     * @param length how long the step runs; null when it ends on a count
     * @param unit   what {@code count} counts ({@code sent}, {@code echoes}); null: time only
     */
    synchronized void step(String label, String step, Duration length, String unit, LongSupplier count) {
        if (err == null) {
            return;
        }
        this.label = label;
        this.step = step;
        this.length = length;
        this.unit = unit;
        this.count = count;
        this.startNanos = System.nanoTime();
        this.lastNanos = startNanos;
        this.lastCount = count == null ? 0 : count.getAsLong();
        if (ticker == null) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bench-progress");
                t.setDaemon(true);
                return t;
            });
        }
        if (ticking != null) {
            ticking.cancel(false);
        }
        // Shown at once, then each interval from the step's start: a step's first line says it began.
        long every = (live ? LIVE_INTERVAL : LINE_INTERVAL).toMillis();
        ticking = ticker.scheduleAtFixedRate(this::tick, 0, every, TimeUnit.MILLISECONDS);
    }

    /** The phase is over: stop showing it (a live line is erased, so the result line stands alone). */
    synchronized void done() {
        if (ticking != null) {
            ticking.cancel(false);
            ticking = null;
        }
        if (live && shownWidth > 0) {
            err.print("\r" + " ".repeat(shownWidth) + "\r");
            err.flush();
            shownWidth = 0;
        }
    }

    /** Ends the ticker thread. */
    synchronized void close() {
        done();
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
    }

    private synchronized void tick() {
        if (ticking == null) {
            return;
        }
        String text = line(System.nanoTime());
        if (live) {
            err.print("\r" + text + " ".repeat(Math.max(0, shownWidth - text.length())));
            shownWidth = text.length();
        } else {
            err.println(text);
        }
        err.flush();
    }

    /** The text shown at {@code now}. */
    synchronized String line(long now) {
        long elapsed = now - startNanos;
        StringBuilder b = new StringBuilder("bench: ").append(label).append(": ").append(step).append(' ')
                .append(seconds(elapsed)).append(" s");
        if (length != null) {
            b.append(" of ").append(seconds(length.toNanos())).append(" s");
        }
        if (count != null) {
            long n = count.getAsLong();
            long span = now - lastNanos;
            double perSecond = span <= 0 ? 0 : (n - lastCount) * 1e9 / span;
            b.append(String.format(Locale.ROOT, ", %,d %s (%,.0f/s)", n, unit, perSecond));
            lastCount = n;
            lastNanos = now;
        }
        return b.toString();
    }

    private static String seconds(long nanos) {
        return Long.toString(TimeUnit.NANOSECONDS.toSeconds(nanos));
    }

    /** True when this process talks to a terminal. */
    static boolean terminal() {
        return Terminal.isTerminal();
    }
}
