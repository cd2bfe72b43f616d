package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

class IdentityFileTest {
    private static final byte[] MESSAGE = "persisted".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void writeThenLoadGivesTheSameIdentity(SignatureAlgorithm alg) throws IOException {
        Path file = dir.resolve("keys/node.pem");
        try (NodeIdentity id = NodeIdentity.generate(alg, new SecureRandom())) {
            IdentityFile.write(id, file);
            try (NodeIdentity loaded = IdentityFile.load(file)) {
                assertEquals(alg, loaded.algorithm());
                assertArrayEquals(id.publicKey(), loaded.publicKey());
                assertEquals(id.address(), loaded.address());
                assertTrue(Signatures.verify(alg, id.publicKey(), MESSAGE, loaded.sign(MESSAGE)));
            }
        }
        String pem = Files.readString(file);
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
        assertTrue(pem.endsWith("-----END PRIVATE KEY-----\n"), pem);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** The seed form: 32 bytes of seed in a 54-byte PKCS#8 (RFC 9881), so the file stays small. */
    @Test
    void mlDsaIsStoredInSeedForm() throws IOException {
        Path file = dir.resolve("ml.pem");
        try (NodeIdentity id = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, new SecureRandom())) {
            IdentityFile.write(id, file);
        }
        byte[] der = IdentityFile.pemBody(Files.readString(file), file);
        assertEquals(54, der.length);
        assertEquals("3034020100300b0609608648016503040312042280", HexFormat.of().formatHex(der, 0, 21));
    }

    /** RFC 8410 version 1, no public key: the 48 bytes OpenSSL writes (OpenSSL 3.0 refuses BC's v2 form). */
    @Test
    void ed25519IsStoredAsOpenSslWritesIt() throws IOException {
        Path file = dir.resolve("ed.pem");
        byte[] secret = HexFormat.of().parseHex("d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842");
        try (NodeIdentity id = NodeIdentity.ofEd25519(secret.clone(), new SecureRandom())) {
            IdentityFile.write(id, file);
        }
        assertEquals("-----BEGIN PRIVATE KEY-----\n"
                + "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
                + "-----END PRIVATE KEY-----\n", Files.readString(file));
    }

    /** Reads what another implementation writes: an OpenSSL Ed25519 key (RFC 8410 §10.3 example). */
    @Test
    void loadsTheRfc8410ExampleKey() throws IOException {
        Path file = dir.resolve("rfc8410.pem");
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
                + "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
                + "-----END PRIVATE KEY-----\n");
        try (NodeIdentity id = IdentityFile.load(file)) {
            assertEquals(SignatureAlgorithm.ED25519, id.algorithm());
            assertEquals("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1",
                    HexFormat.of().formatHex(id.publicKey()));
        }
    }

    @Test
    void refusesToOverwrite() throws IOException {
        Path file = dir.resolve("node.pem");
        Files.writeString(file, "precious");
        try (NodeIdentity id = NodeIdentity.generate(SignatureAlgorithm.ED25519, new SecureRandom())) {
            FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> IdentityFile.write(id, file));
            assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
        }
        assertEquals("precious", Files.readString(file));
    }

    @Test
    void loadOrCreateGeneratesOnceThenLoads() throws IOException {
        Path file = dir.resolve("state/identity.pem");
        try (NodeIdentity first = IdentityFile.loadOrCreate(file, SignatureAlgorithm.ML_DSA_65, new SecureRandom());
             NodeIdentity second = IdentityFile.loadOrCreate(file, SignatureAlgorithm.ML_DSA_65, new SecureRandom())) {
            assertEquals(first.address(), second.address());
            assertArrayEquals(first.publicKey(), second.publicKey());
        }
    }

    @Test
    void corruptFilesGiveClearErrors() throws IOException {
        assertLoadFails("", "is not PEM: no '-----BEGIN PRIVATE KEY-----' line");
        assertLoadFails("hello", "is not PEM");
        assertLoadFails("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "found another PEM type");
        assertLoadFails("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted private key");
        assertLoadFails("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp\n", "truncated");
        assertLoadFails("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "invalid base64");
        assertLoadFails(pem(new byte[] {0x30, 0x03, 0x02, 0x01}), "not a PKCS#8 private key");
        // An RSA OID (1.2.840.113549.1.1.1) in an otherwise well-formed PrivateKeyInfo.
        assertLoadFails(pem(HexFormat.of().parseHex("3016020100300d06092a864886f70d010101050004020500")),
                "algorithm 1.2.840.113549.1.1.1; supported are ML-DSA-65");
        // Ed25519 with a 31-byte secret.
        assertLoadFails(pem(HexFormat.of().parseHex("302d020100300506032b657004210420" + "00".repeat(31))), "malformed Ed25519 private key");
        // ML-DSA-65 with a 31-byte seed.
        assertLoadFails(pem(HexFormat.of().parseHex("3033020100300b06096086480165030403120421801f" + "00".repeat(31))),
                "malformed ML-DSA-65 private key");
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> IdentityFile.load(dir.resolve("absent.pem")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    private void assertLoadFails(String content, String expected) throws IOException {
        Path file = Files.createTempFile(dir, "bad", ".pem");
        Files.writeString(file, content);
        IOException e = assertThrows(IOException.class, () -> IdentityFile.load(file));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should contain '" + expected + "'");
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    private static String pem(byte[] der) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getEncoder().encodeToString(der) + "\n-----END PRIVATE KEY-----\n";
    }
}
