package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metrics tables of docs/OPERATIONS.md and docs/ADMIN.md name exactly the
 * {@code dap_stream_*} series the node exports on {@code /q/metrics}: a metric added, renamed
 * or removed in code fails here until both documents follow, and no document marks an
 * exported metric as missing.
 */
@QuarkusTest
class MetricsDocumentedTest {
    static final Path OPERATIONS = Path.of("docs/OPERATIONS.md");
    static final Path ADMIN = Path.of("docs/ADMIN.md");
    /** Series Micrometer's Prometheus registry exports for one timer with a histogram. */
    static final List<String> HISTOGRAM_SERIES = List.of("_bucket", "_sum", "_count", "_max");
    /** A metrics table row: the first cell names one or more metrics, the second is the type. */
    static final Pattern ROW = Pattern.compile("^\\|\\s*`?(dap_stream_[a-z0-9_]+[^|]*)\\|\\s*(gauge|counter|histogram)");
    static final Pattern NAME = Pattern.compile("dap_stream_[a-z0-9_]+");

    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** The series names a document's metrics table promises, histograms expanded. */
    static Set<String> documented(Path doc) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            Matcher name = NAME.matcher(row.group(1));
            while (name.find()) {
                if (row.group(2).equals("histogram")) {
                    HISTOGRAM_SERIES.forEach(suffix -> out.add(name.group() + suffix));
                } else {
                    out.add(name.group());
                }
            }
        }
        return out;
    }

    Set<String> exported() {
        Management.Answer a = new Management(management).get("/q/metrics");
        assertEquals(200, a.status(), a.body());
        Set<String> names = new TreeSet<>();
        for (String line : a.body().split("\n")) {
            Matcher m = Pattern.compile("^(dap_stream_[a-z0-9_]+)[{ ]").matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        assertFalse(names.isEmpty(), "the node exports dap_stream_* metrics");
        return names;
    }

    @Test
    void operationsListsExactlyTheExportedMetrics() throws IOException {
        assertEquals(exported(), documented(OPERATIONS), "exported by the node (left) against the table of " + OPERATIONS);
    }

    @Test
    void adminListsExactlyTheExportedMetricsAndCallsNoneMissing() throws IOException {
        assertEquals(exported(), documented(ADMIN), "exported by the node (left) against the table of " + ADMIN);
        for (String line : Files.readAllLines(ADMIN, StandardCharsets.UTF_8)) {
            if (ROW.matcher(line).find()) {
                assertFalse(line.contains("not here") || line.contains("later"), ADMIN + " calls an exported metric missing: " + line);
            }
        }
    }

    @Test
    void theRowParserExpandsHistogramsAndReadsSeveralNamesInOneRow() throws IOException {
        Path tmp = Files.createTempFile("metrics-doc", ".md");
        try {
            Files.writeString(tmp, "| `dap_stream_a_total` | counter | | x |\n| dap_stream_b / dap_stream_c | gauge | |\n"
                    + "| `dap_stream_t_seconds` | histogram | | y |\n| `dap.stream.tcp.port` | `8079` | z |\n");
            assertEquals(new TreeSet<>(Set.of("dap_stream_a_total", "dap_stream_b", "dap_stream_c", "dap_stream_t_seconds_bucket",
                    "dap_stream_t_seconds_sum", "dap_stream_t_seconds_count", "dap_stream_t_seconds_max")), documented(tmp));
        } finally {
            Files.delete(tmp);
        }
    }
}
