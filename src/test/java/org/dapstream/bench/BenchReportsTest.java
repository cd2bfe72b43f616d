package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code --hgrm}, {@code --html} and the progress lines, from real runs on the embedded server. */
class BenchReportsTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    /** A data row of HdrHistogram's percentile distribution: value, percentile, total count, 1/(1-percentile). */
    private static final Pattern HGRM_ROW = Pattern.compile("^\\s+([\\d.]+)\\s+([\\d.]+)\\s+(\\d+)(\\s+[\\d.]+)?$");

    @TempDir
    Path dir;

    @Test
    void pingpongWritesAParseableHistogramAnHtmlPlotAndProgressLines() throws Exception {
        Path hgrm = dir.resolve("lat.hgrm");
        Path html = dir.resolve("report.html");
        Outcome o = run("--mode pingpong --warmup 1s --duration 2s --hgrm " + hgrm + " --html " + html);
        assertEquals(Bench.EXIT_OK, o.exit, o.err);
        assertTrue(o.out.contains("bench: wrote latency histogram " + hgrm), o.out);
        assertTrue(o.out.contains("bench: wrote report " + html), o.out);

        List<String> lines = Files.readAllLines(hgrm);
        assertTrue(lines.get(0).trim().matches("Value\\s+Percentile\\s+TotalCount\\s+1/\\(1-Percentile\\)"), lines.get(0));
        long rows = 0;
        double lastPercentile = -1;
        long lastCount = -1;
        for (String line : lines) {
            Matcher m = HGRM_ROW.matcher(line);
            if (m.matches()) {
                rows++;
                double percentile = Double.parseDouble(m.group(2));
                long count = Long.parseLong(m.group(3));
                assertTrue(percentile >= lastPercentile && count >= lastCount, "rows ascend: " + line);
                lastPercentile = percentile;
                lastCount = count;
            }
        }
        assertTrue(rows > 10, "percentile rows: " + rows + "\n" + String.join("\n", lines));
        assertEquals(1.0, lastPercentile, 1e-9, "the last row is the 100th percentile");
        Matcher total = Pattern.compile("#\\[Max\\s*=\\s*[\\d.]+, Total count\\s*=\\s*(\\d+)]").matcher(String.join("\n", lines));
        assertTrue(total.find(), "the footer: " + lines);
        assertEquals(lastCount, Long.parseLong(total.group(1)), "the footer's count is the last row's");
        // The hgrm counts the same round trips the result line reports.
        Matcher line = Pattern.compile("\\(([\\d,]+) msgs in").matcher(o.out);
        assertTrue(line.find(), o.out);
        assertEquals(Long.parseLong(line.group(1).replace(",", "")), lastCount, o.out);

        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>"), page);
        assertTrue(page.contains("stream pingpong security=on"), "the result line is in the report");
        int start = page.indexOf("<svg");
        int end = page.indexOf("</svg>");
        assertTrue(start > 0 && end > start, page);
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(page.substring(start, end + "</svg>".length()).getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, svg.getElementsByTagName("polyline").getLength(), "one curve: one phase");
        String points = svg.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        assertTrue(points.split(" ").length > 10, points);

        // On stderr (not a terminal here) a line as each step begins, then one a second.
        assertTrue(o.err.contains("bench: stream pingpong: warm-up 0 s of 1 s\n"), o.err);
        assertTrue(o.err.matches("(?s).*bench: stream pingpong: measuring \\d s of 2 s, [\\d,]+ echoes \\([\\d,]+/s\\).*"), o.err);
        assertFalse(o.out.contains("warm-up"), "progress stays off stdout: " + o.out);
    }

    @Test
    void twoPhasesWriteOneHistogramEachAndTwoCurves() throws Exception {
        Path hgrm = dir.resolve("lat.hgrm");
        Path html = dir.resolve("both.html");
        Outcome o = run("--mode pingpong --transport both --warmup 100ms --duration 300ms --hgrm " + hgrm + " --html " + html);
        assertEquals(Bench.EXIT_OK, o.exit, o.err);
        assertTrue(Files.readString(dir.resolve("lat-raw.hgrm")).contains("Total count"), o.out);
        assertTrue(Files.readString(dir.resolve("lat-stream.hgrm")).contains("Total count"), o.out);
        assertFalse(Files.exists(hgrm), "no file without the phase in its name");
        String page = Files.readString(html);
        assertEquals(2, page.split("<polyline", -1).length - 1, "a curve per phase");
    }

    @Test
    void onewayHasNoLatencyToWriteAndSaysSoWithStatus2() {
        Path hgrm = dir.resolve("x.hgrm");
        Outcome o = run("--mode oneway --hgrm " + hgrm);
        assertEquals(Bench.EXIT_USAGE, o.exit);
        assertTrue(o.err.startsWith("bench: --hgrm " + hgrm + ": --mode oneway measures throughput, not latency; use --mode pingpong, "
                + "handshake or broadcast"), o.err);
        assertEquals("", o.out, "nothing ran");
        assertFalse(Files.exists(hgrm));
    }

    @Test
    void progressLineShowsTheStepTheTimeAndTheRate() {
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream()), false);
        long[] count = {0};
        p.step("stream oneway", "measuring", Duration.ofSeconds(10), "sent", () -> count[0]);
        count[0] = 5_000;
        String line = p.line(System.nanoTime() + 1_000_000_000L);
        p.close();
        assertTrue(line.matches("bench: stream oneway: measuring 1 s of 10 s, 5,000 sent \\([\\d,]+/s\\)"), line);
        int perSecond = Integer.parseInt(line.replaceAll(".*\\(([\\d,]+)/s\\)", "$1").replace(",", ""));
        assertTrue(perSecond > 4_000 && perSecond <= 5_000, line);
    }

    @Test
    void axisCeilingsAreRound() {
        assertEquals(1.0, BenchReports.niceCeiling(0.7), 0);
        assertEquals(20.0, BenchReports.niceCeiling(13), 0);
        assertEquals(500.0, BenchReports.niceCeiling(420), 0);
        assertEquals(1000.0, BenchReports.niceCeiling(501), 0);
        assertEquals(Path.of("a/lat-raw.hgrm"), BenchReports.withSuffix(Path.of("a/lat.hgrm"), "raw"));
        assertEquals(Path.of("lat-secure"), BenchReports.withSuffix(Path.of("lat"), "secure"));
        assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;", BenchReports.escape("<a href=\"x\">&"));
    }

    private static Outcome run(String line) {
        return assertTimeoutPreemptively(LIMIT, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Bench.run(line.split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        });
    }

    private record Outcome(int exit, String out, String err) {
    }
}
