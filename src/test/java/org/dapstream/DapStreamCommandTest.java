package org.dapstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.cli.Commands;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The top of the command line, in process: usage, typos and versions never reach
 * {@code serve} (which would start Quarkus and end the JVM); the packaged jar is run
 * as a process in CommandLineIT.
 */
class DapStreamCommandTest {
    private static final List<String> COMMANDS = List.of("serve", "keygen", "bench", "ping", "channel", "status", "local-cluster");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return DapStreamCommand.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .execute(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsEveryCommandAndExitsWith2() {
        assertEquals(Commands.EXIT_USAGE, run("--help"));
        assertTrue(out().startsWith("Usage: dap-stream [-hV] [COMMAND]"), out());
        for (String command : COMMANDS) {
            assertTrue(out().contains("\n  " + command + " "), command + " in " + out());
        }
        assertEquals(Commands.EXIT_USAGE, run("-h"));
    }

    @Test
    void everyCommandHasItsOwnUsageWith2() {
        for (String command : COMMANDS) {
            assertEquals(Commands.EXIT_USAGE, run(command, "--help"), command);
            assertTrue(out().startsWith("Usage: dap-stream " + command), out());
        }
    }

    @Test
    void aMistypedCommandNamesTheClosestAndPrintsTheUsageWith2() {
        assertEquals(Commands.EXIT_USAGE, run("kegen"));
        assertTrue(err().startsWith("dap-stream: Unmatched argument at index 0: 'kegen'\nDid you mean: dap-stream keygen"), err());
        assertTrue(err().contains("Usage: dap-stream [-hV] [COMMAND]"), err());
        assertEquals("", out());
        assertEquals(Commands.EXIT_USAGE, run("sever"));
        assertTrue(err().contains("Did you mean: dap-stream serve"), err());
        assertEquals(Commands.EXIT_USAGE, run("--port", "1234"), "an option of no command");
        assertTrue(err().startsWith("dap-stream: Unknown options: '--port', '1234'"), err());
    }

    @Test
    void aBadValueNamesTheCommandTheOptionAndTheValue() {
        assertEquals(Commands.EXIT_USAGE, run("bench", "--size", "64k"));
        assertEquals("dap-stream bench: --size: '64k' is not a whole number; give 1..65536\n"
                + "Try 'dap-stream bench --help' for the options.\n", err());
        assertEquals(Commands.EXIT_USAGE, run("keygen", "--algorithm", "rsa"));
        assertTrue(err().startsWith("dap-stream keygen: Invalid value for option '--algorithm': unknown signature algorithm 'rsa'"), err());
        assertEquals(Commands.EXIT_USAGE, run("serve", "--port", "1"));
        assertTrue(err().startsWith("dap-stream serve: Unknown options: '--port', '1'"), err());
    }

    @Test
    void versionNamesTheProgramAndTheJvm() {
        assertEquals(Commands.EXIT_OK, run("--version"));
        assertTrue(out().startsWith("dap-stream "), out());
        assertTrue(out().contains("\njava " + Runtime.version()), out());
        assertFalse(out().contains("null"), out());
    }
}
