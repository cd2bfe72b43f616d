package org.dapstream.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A transfer's progress for a person: on a terminal one live line (bytes, rate, ETA) redrawn
 * at most every {@link #LIVE_INTERVAL_NANOS}; otherwise a plain line every
 * {@link #LINE_INTERVAL_NANOS}, so logs stay readable. Thread-safe (file threads report).
 */
final class TransferMeter {
    static final long LIVE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long LINE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PrintStream err;
    private final boolean live;
    private final String name;
    private final long start = System.nanoTime();
    private long lastShown;
    private long first = -1;
    private boolean shown;

    TransferMeter(PrintStream err, boolean live, String name) {
        this.err = err;
        this.live = live;
        this.name = name;
    }

    synchronized void bytes(long done, long total) {
        if (first < 0) {
            first = done; // what an earlier, cut transfer had moved: not part of this rate
        }
        long now = System.nanoTime();
        if (now - lastShown < (live ? LIVE_INTERVAL_NANOS : LINE_INTERVAL_NANOS) && done < total) {
            return;
        }
        lastShown = now;
        String line = line(done, total, now);
        if (live) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        shown = true;
        err.flush();
    }

    /** Ends the live line, if one was drawn. */
    synchronized void finish() {
        if (live && shown) {
            err.println();
        }
    }

    private String line(long done, long total, long now) {
        double seconds = Math.max((now - start) / 1e9, 1e-3);
        double rate = (done - Math.max(first, 0)) / seconds;
        String eta = rate > 0 && done < total ? String.format(Locale.ROOT, "ETA %ds", (long) Math.ceil((total - done) / rate)) : "";
        int percent = total == 0 ? 100 : (int) (100 * done / total);
        return String.format(Locale.ROOT, "%s %3d%% %s / %s %s/s %s", name, percent, size(done), size(total), size((long) rate), eta).strip();
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
