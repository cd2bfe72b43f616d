package org.dapstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

class KeygenTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Keygen.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void writesTheFileAndPrintsAddressAndPublicKeyOnly() throws IOException {
        Path file = dir.resolve("node.pem");
        assertEquals(Keygen.EXIT_OK, run("--algorithm", "ed25519", "--out", file.toString()));
        String printed = out.toString(StandardCharsets.UTF_8);
        try (NodeIdentity id = IdentityFile.load(file)) {
            assertEquals(SignatureAlgorithm.ED25519, id.algorithm());
            assertTrue(printed.contains("node address: " + id.address()), printed);
            assertTrue(printed.contains(HexFormat.of().formatHex(id.publicKey())), printed);
        }
        assertFalse(printed.contains("PRIVATE KEY"), printed);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void defaultsToMlDsaAndPrintsPemToStdoutWithoutOut() throws IOException {
        assertEquals(Keygen.EXIT_OK, run());
        String pem = out.toString(StandardCharsets.UTF_8);
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n") && pem.endsWith("-----END PRIVATE KEY-----\n"), pem);
        Path file = dir.resolve("captured.pem");
        Files.writeString(file, pem);
        try (NodeIdentity id = IdentityFile.load(file)) {
            assertEquals(SignatureAlgorithm.ML_DSA_65, id.algorithm());
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("node address: " + id.address()));
        }
    }

    @Test
    void refusesToOverwriteAndExplainsBadOptions() throws IOException {
        Path file = dir.resolve("taken.pem");
        Files.writeString(file, "keep me");
        assertEquals(Keygen.EXIT_FAILED, run("--out=" + file));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("already exists; refusing to overwrite"), err.toString());
        assertEquals("keep me", Files.readString(file));

        err.reset();
        assertEquals(Keygen.EXIT_USAGE, run("--algorithm", "rsa"));
        assertEquals("keygen: Invalid value for option '--algorithm': unknown signature algorithm 'rsa': expected ml-dsa-65 or ed25519\n"
                + "Try 'keygen --help' for the options.\n", err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(Keygen.EXIT_USAGE, run("--out"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("keygen: Missing required parameter for option '--out' (FILE)"), err.toString());
        err.reset();
        assertEquals(Keygen.EXIT_USAGE, run("--out", " "));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("keygen: --out needs a file name, got ' '"), err.toString());
        err.reset();
        assertEquals(Keygen.EXIT_USAGE, run("--bits", "4096"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("keygen: Unknown options: '--bits', '4096'"), err.toString());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: keygen"), "a typo shows the usage: " + err);
        out.reset();
        assertEquals(Keygen.EXIT_USAGE, run("--help"), "usage asked for: nothing generated, status 2");
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: keygen"), out.toString());
        assertFalse(out.toString(StandardCharsets.UTF_8).contains("PRIVATE KEY"), out.toString());
    }
}
