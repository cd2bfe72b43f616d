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
        assertTrue(printed.contains(LocalCluster.USAGE), "the usage follows the problem: " + printed);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing started");
    }

    @Test
    void badOptionsExitWithStatus2AndTheUsage() {
        refused("--nodes must be 1..9, got '0'", "--nodes", "0");
        refused("--nodes must be 1..9, got '10'", "--nodes=10");
        refused("--nodes must be 1..9, got 'three'", "--nodes", "three");
        refused("--base-port must be 1024..65445, got '80'", "--base-port", "80");
        refused("--base-port must be 1024..65445, got '65500'", "--base-port", "65500");
        refused("--nodes needs a value", "--nodes");
        refused("--dir needs a directory", "--dir", " ");
        refused("unknown option '--members'", "--members", "3");
    }

    @Test
    void helpPrintsTheUsage() {
        assertEquals(0, run("--help"));
        assertEquals(LocalCluster.USAGE, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void outsideThePackagedJarItSaysHowToRunIt() {
        assertEquals(LocalCluster.EXIT_FAILED, run("--nodes", "2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("java -jar target/quarkus-app/quarkus-run.jar local-cluster"), err.toString());
    }
}
