package org.dapstream.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Types are named through imports: a fully qualified name written inline in the code of
 * src/main/java fails this test, named file:line. Import and package lines, comments (javadoc
 * {@code {@link}} included) and string literals are not code and are skipped. A qualified name is
 * allowed only where an import cannot do: its simple name is already taken in that file by an
 * import of another type, a type declared in the file, or a type of the file's own package.
 * Import order and unused imports are checked by the build (impsort, in pom.xml).
 */
class SourceHygieneTest {
    private static final Path MAIN_SOURCES = Path.of("src", "main", "java");

    /** A qualified type name: a top-level package root, lower-case segments, then a type name. */
    private static final Pattern QUALIFIED_TYPE = Pattern.compile(
            "(?<![\\w.$])((?:java|javax|jakarta|jdk|sun|com|org|io|net)(?:\\.[a-z_][a-z0-9_]*)+)\\.([A-Z][\\w$]*)");
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+([\\w.]+)\\.(\\w+)\\s*;", Pattern.MULTILINE);
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern DECLARED_TYPE = Pattern.compile("\\b(?:class|interface|enum|record)\\s+(\\w+)");
    private static final Pattern IMPORT_OR_PACKAGE_LINE = Pattern.compile("^\\s*(?:import|package)\\s.*");

    /** One inline qualified name: the line it is on (1-based) and the name as written. */
    record InlineName(int line, String name) { }

    @Test
    void mainSourcesNameTypesThroughImports() throws IOException {
        assertTrue(Files.isDirectory(MAIN_SOURCES), "run from the project root: " + MAIN_SOURCES.toAbsolutePath());
        List<Path> files;
        try (var walk = Files.walk(MAIN_SOURCES)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(files.size() > 100, "found only " + files.size() + " sources under " + MAIN_SOURCES);
        List<String> found = new ArrayList<>();
        for (Path file : files) {
            for (InlineName n : inlineQualifiedNames(read(file), typesBeside(file))) {
                found.add(MAIN_SOURCES.relativize(file) + ":" + n.line() + ": " + n.name());
            }
        }
        assertTrue(found.isEmpty(), "fully qualified names inline instead of imports (import them):\n" + String.join("\n", found));
    }

    @Test
    void scannerFindsQualifiedNamesInCode() {
        String source = """
                package org.example.engine;

                import java.util.List;

                final class Sample {
                    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

                    boolean same(byte[] a, byte[] b) {
                        return org.dapstream.crypto.ConstantTime.equals(a, b);
                    }

                    @jakarta.inject.Inject List<io.vertx.core.Vertx> loops;
                }
                """;
        assertEquals(List.of(
                new InlineName(6, "java.util.concurrent.atomic.AtomicInteger"),
                new InlineName(6, "java.util.concurrent.atomic.AtomicInteger"),
                new InlineName(9, "org.dapstream.crypto.ConstantTime"),
                new InlineName(12, "jakarta.inject.Inject"),
                new InlineName(12, "io.vertx.core.Vertx")), inlineQualifiedNames(source, Set.of()));
    }

    @Test
    void scannerSkipsImportsCommentsStringsAndMemberAccess() {
        String source = """
                package org.example.engine;

                import java.util.concurrent.atomic.AtomicInteger;
                import static org.junit.jupiter.api.Assertions.assertEquals;

                /** Counts like {@link java.util.concurrent.atomic.AtomicLong} does. */
                final class Sample {
                    // see java.util.concurrent.locks.LockSupport
                    /* org.dapstream.stream.Stream, in a block comment */
                    private static final String LOGGER = "org.dapstream.ops.StreamEndpoint";
                    private static final String BLOCK = \"""
                            java.lang.Thread in a text block
                            \""";
                    private static final char QUOTE = '"';
                    private final AtomicInteger count = new AtomicInteger();
                    int sum(Sample other) { return this.count.get() + other.count.get() + Integer.MAX_VALUE; }
                    String quoted() { return QUOTE + "java.util.List" + QUOTE; }
                }
                """;
        assertEquals(List.of(), inlineQualifiedNames(source, Set.of()));
    }

    @Test
    void scannerAllowsQualifiedNamesWhereAnImportCannotDo() {
        String source = """
                package org.example.engine;

                import java.lang.management.OperatingSystemMXBean;

                final class Sample {
                    long cpu(OperatingSystemMXBean os) {
                        return os instanceof com.sun.management.OperatingSystemMXBean h ? h.getProcessCpuTime() : -1;
                    }
                    java.util.stream.Stream<String> names() { return null; }
                    org.example.other.Sample peer() { return null; }
                    org.example.engine.Stream self() { return null; }
                }
                """;
        // The own package's Stream type is reached by its simple name; naming it in full is drift.
        assertEquals(List.of(new InlineName(11, "org.example.engine.Stream")),
                inlineQualifiedNames(source, Set.of("Stream")));
    }

    /**
     * The fully qualified type names written inline in the code of one Java source.
     *
     * @param source the text of the file
     * @param samePackageTypes the simple names of the other top-level types of the file's package
     */
    static List<InlineName> inlineQualifiedNames(String source, Set<String> samePackageTypes) {
        String code = blankCommentsAndLiterals(source);
        Matcher pkg = PACKAGE.matcher(code);
        String ownPackage = pkg.find() ? pkg.group(1) : "";
        Map<String, String> imported = new HashMap<>();
        Matcher imp = IMPORT.matcher(code);
        while (imp.find()) {
            imported.put(imp.group(2), imp.group(1) + "." + imp.group(2));
        }
        Set<String> declared = new HashSet<>();
        Matcher decl = DECLARED_TYPE.matcher(code);
        while (decl.find()) {
            declared.add(decl.group(1));
        }
        List<InlineName> found = new ArrayList<>();
        String[] lines = code.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (IMPORT_OR_PACKAGE_LINE.matcher(lines[i]).matches()) {
                continue;
            }
            Matcher m = QUALIFIED_TYPE.matcher(lines[i]);
            while (m.find()) {
                String qualifier = m.group(1);
                String simple = m.group(2);
                String name = qualifier + "." + simple;
                String importedAs = imported.get(simple);
                boolean taken = (importedAs != null && !importedAs.equals(name))
                        || declared.contains(simple)
                        || (samePackageTypes.contains(simple) && !qualifier.equals(ownPackage));
                if (!taken) {
                    found.add(new InlineName(i + 1, name));
                }
            }
        }
        return found;
    }

    /** The source with comments, string, text-block and char literals replaced by spaces, line breaks kept. */
    static String blankCommentsAndLiterals(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            int end;
            if (source.startsWith("//", i)) {
                end = source.indexOf('\n', i);
                end = end < 0 ? n : end;
            } else if (source.startsWith("/*", i)) {
                end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
            } else if (source.startsWith("\"\"\"", i)) {
                end = literalEnd(source, i + 3, "\"\"\"");
            } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
                end = literalEnd(source, i + 1, String.valueOf(source.charAt(i)));
            } else {
                out.append(source.charAt(i++));
                continue;
            }
            for (int k = i; k < end; k++) {
                out.append(source.charAt(k) == '\n' ? '\n' : ' ');
            }
            i = end;
        }
        return out.toString();
    }

    /** The index just past the unescaped {@code closing} delimiter at or after {@code from}. */
    private static int literalEnd(String source, int from, String closing) {
        int k = from;
        while (k < source.length()) {
            if (source.charAt(k) == '\\') {
                k += 2;
            } else if (source.startsWith(closing, k)) {
                return k + closing.length();
            } else {
                k++;
            }
        }
        return source.length();
    }

    private static Set<String> typesBeside(Path file) {
        try (var siblings = Files.list(file.getParent())) {
            return siblings.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".java") && !name.equals("package-info.java"))
                    .map(name -> name.substring(0, name.length() - ".java".length()))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
