package org.dapstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** {@code keygen > file} refuses to print a private key into a file others can read. */
class KeygenStdoutTest {
    @TempDir
    Path dir;

    @Test
    void aWorldReadableStdoutFileIsRefused() throws IOException {
        Path file = Files.createFile(dir.resolve("node.pem"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.US_ASCII)) {
            status = Keygen.run(new String[] {"--algorithm", "ed25519"}, out, new PrintStream(err, true, StandardCharsets.UTF_8), file);
        }
        assertEquals(Keygen.EXIT_USAGE, status);
        assertEquals("keygen: stdout is " + file.toRealPath() + ", readable by others: use --out FILE (written owner-only), or chmod 600 it first\n",
                err.toString(StandardCharsets.UTF_8));
        assertEquals(0, Files.size(file), "no key written");
    }

    @Test
    void anOwnerOnlyStdoutFileGetsTheKey() throws IOException {
        Path file = Files.createFile(dir.resolve("node.pem"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        int status;
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.US_ASCII)) {
            status = Keygen.run(new String[] {"--algorithm", "ed25519"}, out, new PrintStream(new ByteArrayOutputStream()), file);
        }
        assertEquals(Keygen.EXIT_OK, status);
        assertTrue(Files.readString(file).startsWith("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void aGroupReadableFileIsRefusedAndDevicesAreNotChecked() throws IOException {
        Path file = Files.createFile(dir.resolve("node.pem"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
        assertTrue(Keygen.readableByOthers(file).startsWith("stdout is "));
        assertNull(Keygen.readableByOthers(Path.of("/dev/null")), "not a regular file: a terminal or a device");
    }
}
