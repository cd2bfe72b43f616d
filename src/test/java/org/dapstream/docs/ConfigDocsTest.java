package org.dapstream.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import org.dapstream.ops.StreamServerConfig;
import org.dapstream.ops.admin.AdminConfig;
import org.dapstream.ops.gateway.GatewayConfig;
import org.dapstream.ops.health.HealthConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration tables of docs/OPERATIONS.md and docs/API.md name only keys that the
 * application's {@code dap.stream} mappings ({@link StreamServerConfig}, {@link AdminConfig}, {@link GatewayConfig},
 * {@link HealthConfig}) have, with their defaults, and OPERATIONS.md lists every key: a key
 * that is renamed or removed (as {@code dap.stream.channel-buffer-size} was) or a default that
 * changes fails here until the documents follow.
 */
class ConfigDocsTest {
    static final Path OPERATIONS = Path.of("docs/OPERATIONS.md");
    static final Path API = Path.of("docs/API.md");

    /** A table row naming keys in its first cell: {@code | `dap.stream.x` | ...}; the cells after it. */
    private static final Pattern ROW = Pattern.compile("^\\|\\s*(`dap\\.stream\\.[^|]*)\\|(.*)$");
    private static final Pattern KEY = Pattern.compile("`(dap\\.stream\\.[a-z0-9.-]+)`");
    private static final Pattern CODE = Pattern.compile("^\\s*`([^`]*)`\\s*$");

    /** The application's configuration mappings under {@code dap.stream}. */
    static final List<Class<?>> MAPPINGS = List.of(StreamServerConfig.class, AdminConfig.class, HealthConfig.class, GatewayConfig.class);

    /** Every key of the mappings with its {@code @WithDefault} (empty when it has none). */
    static Map<String, Optional<String>> configKeys() {
        Map<String, Optional<String>> keys = new TreeMap<>();
        for (Class<?> mapping : MAPPINGS) {
            collect(mapping.getAnnotation(ConfigMapping.class).prefix(), mapping, mapping, keys);
        }
        return keys;
    }

    private static void collect(String prefix, Class<?> root, Class<?> group, Map<String, Optional<String>> out) {
        for (Method m : group.getDeclaredMethods()) {
            if (m.isDefault() || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String key = prefix + "." + m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == root) {
                collect(key, root, type, out);
            } else {
                WithDefault d = m.getAnnotation(WithDefault.class);
                out.put(key, Optional.ofNullable(d).map(WithDefault::value));
            }
        }
    }

    /** Documented key -> the text of the cell after the key cell(s) (OPERATIONS: the default). */
    static Map<String, String> documented(Path doc) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            String[] rest = row.group(2).split("\\|");
            Matcher key = KEY.matcher(row.group(1));
            String previous = null;
            while (key.find()) {
                previous = key.group(1);
                out.put(previous, rest.length > 0 ? rest[0] : "");
            }
            // "`dap.stream.flow.stream-rate.bytes-per-second`, `.frames-per-second`": a sibling key.
            Matcher sibling = Pattern.compile("`(\\.[a-z0-9-]+)`").matcher(row.group(1));
            while (sibling.find() && previous != null) {
                out.put(previous.substring(0, previous.lastIndexOf('.')) + sibling.group(1), rest.length > 0 ? rest[0] : "");
            }
        }
        return out;
    }

    @Test
    void operationsListsEveryKeyWithItsDefault() throws IOException {
        Map<String, Optional<String>> keys = configKeys();
        Map<String, String> doc = documented(OPERATIONS);
        assertEquals(new TreeSet<>(keys.keySet()), new TreeSet<>(doc.keySet()),
                "keys of the configuration mappings (left) against the tables of " + OPERATIONS + " (right)");
        keys.forEach((key, value) -> value.ifPresent(expected -> {
            Matcher cell = CODE.matcher(doc.get(key));
            assertTrue(cell.find(), key + ": the default cell of " + OPERATIONS + " should be `" + expected + "`, is '" + doc.get(key) + "'");
            assertEquals(expected, cell.group(1), "documented default of " + key);
        }));
    }

    @Test
    void apiNamesOnlyKeysThatExist() throws IOException {
        Set<String> unknown = new TreeSet<>(documented(API).keySet());
        unknown.removeAll(configKeys().keySet());
        assertEquals(Set.of(), unknown, "keys in the tables of " + API + " that no configuration mapping has");
        assertTrue(documented(API).keySet().containsAll(List.of("dap.stream.flow.channel-window",
                "dap.stream.flow.stream-rate.frames-per-second", "dap.stream.flow.channel-rate.bytes-per-second")),
                "API.md documents the flow keys");
    }

    @Test
    void theRowParserReadsKeysSiblingsAndDefaults() throws IOException {
        Path tmp = Files.createTempFile("config-doc", ".md");
        try {
            Files.writeString(tmp, "| key | default |\n|---|---|\n| `dap.stream.a.b-c` | `7` | x |\n"
                    + "| `dap.stream.r.bytes-per-second`, `.frames-per-second` | `R` | `0`, `0` | y |\n| `dap_stream_x` | gauge |\n");
            Map<String, String> doc = documented(tmp);
            assertEquals(Set.of("dap.stream.a.b-c", "dap.stream.r.bytes-per-second", "dap.stream.r.frames-per-second"), doc.keySet());
            assertEquals(" `7` ", doc.get("dap.stream.a.b-c"));
        } finally {
            Files.delete(tmp);
        }
    }
}
