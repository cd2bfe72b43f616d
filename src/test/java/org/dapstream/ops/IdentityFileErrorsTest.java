package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/** Each way the identity file can be wrong gets a message naming its key and what to do. */
class IdentityFileErrorsTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String USER = System.getProperty("user.name");

    @TempDir
    Path dir;

    @Test
    void aMissingDirectoryIsNotCreatedUnlessAllowed() {
        Path file = dir.resolve("typo").resolve("identity.pem");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NodeSecurity.loadIdentity(file, SignatureAlgorithm.ED25519, false, RANDOM));
        assertEquals("dap.stream.security.identity.file=" + file + ": directory " + file.getParent() + " does not exist (check the "
                + "path for a typo; to create it and a new identity there, create the directory or set "
                + "dap.stream.security.identity.create-directories=true)", e.getMessage());
        assertFalse(Files.exists(file.getParent()), "nothing created");
    }

    @Test
    void allowedDirectoriesAreCreatedAndTheIdentityLoadsAgain() throws IOException {
        Path file = dir.resolve("a").resolve("b").resolve("identity.pem");
        try (NodeIdentity created = NodeSecurity.loadIdentity(file, SignatureAlgorithm.ED25519, true, RANDOM);
             NodeIdentity loaded = NodeSecurity.loadIdentity(file, SignatureAlgorithm.ED25519, false, RANDOM)) {
            assertTrue(Files.isRegularFile(file));
            assertEquals(created.address(), loaded.address());
        }
    }

    @Test
    void aMalformedFileSaysReplaceIt() throws IOException {
        Path file = dir.resolve("identity.pem");
        Files.writeString(file, "not a key\n", StandardCharsets.US_ASCII);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NodeSecurity.loadIdentity(file, SignatureAlgorithm.ED25519, false, RANDOM));
        assertEquals("dap.stream.security.identity.file=" + file + ": node identity file " + file
                + " is not PEM: no '-----BEGIN PRIVATE KEY-----' line (replace it with a PEM file from `keygen`; moving it away makes "
                + "the node create a NEW identity with a new address)", e.getMessage());
    }

    @Test
    void anUnreadableFileSaysPermissionDenied() throws IOException {
        Path file = dir.resolve("identity.pem");
        Files.writeString(file, "x", StandardCharsets.US_ASCII);
        assertEquals("dap.stream.security.identity.file=" + file + ": permission denied reading " + file + " (make it readable by user "
                + USER + ", e.g. chown " + USER + " and chmod 600, or mount it with that owner)",
                NodeSecurity.identityError(file, new AccessDeniedException(file.toString())));
    }

    @Test
    void anUnreadableFileOnDiskSaysPermissionDenied() throws IOException {
        Path file = dir.resolve("identity.pem");
        Files.writeString(file, "x", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(file), "root reads any file: no permission to deny");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NodeSecurity.loadIdentity(file, SignatureAlgorithm.ED25519, false, RANDOM));
        assertTrue(e.getMessage().startsWith("dap.stream.security.identity.file=" + file + ": permission denied reading"), e.getMessage());
    }

    @Test
    void anUnwritableDirectorySaysPermissionDeniedCreating() {
        Path file = dir.resolve("identity.pem");
        assertEquals("dap.stream.security.identity.file=" + file + ": permission denied creating the identity in " + dir
                + " (make the directory writable by user " + USER + ", or mount an existing identity there)",
                NodeSecurity.identityError(file, new AccessDeniedException(dir.toString())));
    }
}
