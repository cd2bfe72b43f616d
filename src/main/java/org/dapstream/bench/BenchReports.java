package org.dapstream.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The files a run may leave besides its output lines: {@code --hgrm FILE}, the latency
 * histogram as HdrHistogram's percentile distribution (what HdrHistogram's plotter and most
 * latency tooling read), and {@code --html FILE}, a report with the options, the result lines
 * and the percentile plot as inline SVG (one curve per phase), viewable offline in any browser.
 */
final class BenchReports {
    /** Points per halving of the distance to 100 %: HdrHistogram's own plotting default. */
    static final int TICKS_PER_HALF_DISTANCE = 5;
    /** The plot's x axis ends at 99.9999 %: beyond it a run of seconds has no samples. */
    static final double MAX_NINES = 6;
    static final int PLOT_WIDTH = 720;
    static final int PLOT_HEIGHT = 360;
    static final int MARGIN = 60;
    /** Curve colours, one per phase, in phase order. */
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    /** One phase's result. */
    record Phase(String name, String line, LatencyRecorder latency) {
    }

    private final Path hgrm;
    private final Path html;
    private final List<Phase> phases = new ArrayList<>();

    BenchReports(Path hgrm, Path html) {
        this.hgrm = hgrm;
        this.html = html;
    }

    /** Writes no file. */
    static BenchReports none() {
        return new BenchReports(null, null);
    }

    /** Why these files cannot come from a run with {@code options}, or null. */
    String problem(BenchOptions options) {
        if (hgrm != null && options.workload() == Workload.ONEWAY) {
            return "--hgrm " + hgrm + ": --mode oneway measures throughput, not latency; use --mode pingpong, handshake or broadcast";
        }
        return null;
    }

    void add(String name, String line, LatencyRecorder latency) {
        phases.add(new Phase(name, line, latency));
    }

    /** Writes the files asked for and says so on {@code out}. */
    void write(BenchOptions options, List<String> header, PrintStream out) throws IOException {
        if (hgrm != null) {
            for (Phase p : phases) {
                if (p.latency() == null) {
                    continue;
                }
                Path file = phases.size() > 1 ? withSuffix(hgrm, p.name()) : hgrm;
                try (PrintStream f = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
                    p.latency().writePercentiles(f);
                }
                out.println("bench: wrote latency histogram " + file + " (" + p.name() + ", microseconds)");
            }
        }
        if (html != null) {
            Files.writeString(html, html(options, header), StandardCharsets.UTF_8);
            out.println("bench: wrote report " + html);
        }
    }

    /** {@code lat.hgrm} for phase {@code raw}: {@code lat-raw.hgrm}. */
    static Path withSuffix(Path file, String phase) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String renamed = dot > 0 ? name.substring(0, dot) + "-" + phase + name.substring(dot) : name + "-" + phase;
        return file.resolveSibling(renamed);
    }

    String html(BenchOptions options, List<String> header) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>DAP Stream bench: ")
                .append(escape(options.workload().option())).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;overflow-x:auto}"
                        + "svg text{font-size:12px}</style>\n</head>\n<body>\n<h1>DAP Stream bench</h1>\n");
        b.append("<h2>Run</h2>\n<pre>");
        header.forEach(l -> b.append(escape(l)).append('\n'));
        b.append("</pre>\n<h2>Results</h2>\n<pre>");
        phases.forEach(p -> b.append(escape(p.line())).append('\n'));
        b.append("</pre>\n");
        List<Phase> plotted = phases.stream().filter(p -> p.latency() != null && p.latency().count() > 0).toList();
        if (!plotted.isEmpty()) {
            b.append("<h2>Latency by percentile</h2>\n").append(svg(plotted)).append('\n');
        }
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    /** The percentile plot: x is the number of nines (log scale of 1/(1-p)), y the latency in microseconds. */
    static String svg(List<Phase> plotted) {
        double maxMicros = 0;
        for (Phase p : plotted) {
            for (double[] pt : p.latency().percentileCurve(TICKS_PER_HALF_DISTANCE)) {
                maxMicros = Math.max(maxMicros, pt[1]);
            }
        }
        maxMicros = niceCeiling(maxMicros);
        int w = PLOT_WIDTH;
        int h = PLOT_HEIGHT;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                w + 2 * MARGIN, h + 2 * MARGIN, w + 2 * MARGIN, h + 2 * MARGIN));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
                MARGIN, MARGIN, w, h));
        String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        for (int nines = 0; nines <= MAX_NINES; nines++) {
            double x = MARGIN + w * nines / MAX_NINES;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, MARGIN, x, MARGIN + h));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, MARGIN + h + 18, labels[nines]));
        }
        int yTicks = 4;
        for (int i = 0; i <= yTicks; i++) {
            double value = maxMicros * i / yTicks;
            double y = MARGIN + h - h * i / (double) yTicks;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", MARGIN, y, MARGIN + w, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", MARGIN - 6, y + 4, number(value)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n", MARGIN + w / 2, MARGIN + h + 40));
        b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">latency (us)</text>\n",
                MARGIN + h / 2, MARGIN + h / 2));
        for (int i = 0; i < plotted.size(); i++) {
            Phase p = plotted.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder points = new StringBuilder();
            for (double[] pt : p.latency().percentileCurve(TICKS_PER_HALF_DISTANCE)) {
                double nines = pt[0] >= 100 ? MAX_NINES : Math.min(MAX_NINES, Math.log10(100 / (100 - pt[0])));
                double x = MARGIN + w * nines / MAX_NINES;
                double y = MARGIN + h - h * pt[1] / maxMicros;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            b.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                    .append(points.toString().trim()).append("\"><title>").append(escape(p.name())).append("</title></polyline>\n");
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", MARGIN + 10, MARGIN + 18 + 16 * i, colour,
                    escape(p.name() + ": p50 " + number(p.latency().percentileMicros(50)) + " us, p99 "
                            + number(p.latency().percentileMicros(99)) + " us, max " + number(p.latency().maxMicros()) + " us")));
        }
        b.append("</svg>");
        return b.toString();
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code v}: round axis labels. */
    static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String number(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
