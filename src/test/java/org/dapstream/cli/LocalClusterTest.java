package org.dapstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The options of {@code local-cluster}; starting the nodes is covered by LocalClusterIT against the packaged jar. */
class LocalClusterTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return LocalCluster.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private void refused(String expected, String... args) {
        out.reset();
        err.reset();
        assertEquals(LocalCluster.EXIT_USAGE, run(args), String.join(" ", args));
        String printed = err.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("local-cluster: " + expected), printed);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing started");
    }

    @Test
    void badOptionsExitWithStatus2NamingTheOptionAndValue() {
        refused("--nodes must be 1..9, got 0", "--nodes", "0");
        refused("--nodes must be 1..9, got 10", "--nodes=10");
        refused("Invalid value for option '--nodes': 'three' is not an int", "--nodes", "three");
        refused("--base-port must be 1024..65445, got 80", "--base-port", "80");
        refused("--base-port must be 1024..65445, got 65500", "--base-port", "65500");
        refused("Missing required parameter for option '--nodes' (N)", "--nodes");
        refused("--dir needs a directory, got ' '", "--dir", " ");
        refused("Unknown options: '--members', '3'", "--members", "3");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: local-cluster"), "a typo shows the usage: " + err);
    }

    @Test
    void helpPrintsTheUsageWithStatus2() {
        assertEquals(LocalCluster.EXIT_USAGE, run("--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.startsWith("Usage: local-cluster"), usage);
        assertTrue(usage.contains("--base-port=P"), usage);
    }

    @Test
    void outsideThePackagedJarItSaysHowToRunIt() {
        assertEquals(LocalCluster.EXIT_FAILED, run("--nodes", "2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("java -jar target/quarkus-app/quarkus-run.jar local-cluster"), err.toString());
    }
}
