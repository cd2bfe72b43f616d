package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.cli.Commands;
import org.dapstream.cli.Receive;
import org.dapstream.cli.Send;
import org.dapstream.files.FileIo;
import org.dapstream.files.FileService;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** The {@code send} and {@code receive} commands against a real node serving a directory. */
class FileCommandsSocketTest {
    @TempDir
    Path nodeDir;
    @TempDir
    Path localDir;

    private FileIo io;
    private LoopbackServer server;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void start() throws Exception {
        io = new FileIo(1);
        server = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics()
                .register(new FileService(nodeDir, io, false, 1L << 30)));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        io.close();
    }

    private String endpoint() {
        return "127.0.0.1:" + server.port();
    }

    @Test
    @Timeout(60)
    void aDirectoryGoesFileByFileAndAFileComesBack() throws Exception {
        Path dir = Files.createDirectories(localDir.resolve("photos/2026"));
        byte[] a = new byte[300_000];
        new Random(5).nextBytes(a);
        Files.write(dir.resolve("a.jpg"), a);
        Files.writeString(localDir.resolve("photos/readme.txt"), "hello");

        int status = Commands.execute(new Send(out, err), out, err, endpoint(), localDir.resolve("photos").toString(), "--to", "inbox");
        assertEquals(Commands.EXIT_OK, status, errBytes.toString(StandardCharsets.UTF_8));
        String said = outBytes.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("sent inbox/photos/2026/a.jpg (300000 bytes)"), said);
        assertTrue(said.contains("sent inbox/photos/readme.txt (5 bytes)"), said);
        assertArrayEquals(a, Files.readAllBytes(nodeDir.resolve("inbox/photos/2026/a.jpg")));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("inbox/photos/2026/a.jpg 100%"),
                "a progress line when not on a terminal: " + errBytes);

        Path back = localDir.resolve("back.jpg");
        status = Commands.execute(new Receive(out, err), out, err, endpoint(), "inbox/photos/2026/a.jpg", "--out", back.toString());
        assertEquals(Commands.EXIT_OK, status, errBytes.toString(StandardCharsets.UTF_8));
        assertArrayEquals(a, Files.readAllBytes(back));
    }

    @Test
    @Timeout(60)
    void refusalsAndBadOptionsSayWhatIsWrong() throws Exception {
        Files.writeString(localDir.resolve("x.txt"), "x");
        Files.writeString(nodeDir.resolve("x.txt"), "already");
        assertEquals(Commands.EXIT_FAILED, Commands.execute(new Send(out, err), out, err, endpoint(), localDir.resolve("x.txt").toString()));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("send: x.txt: FILE_REFUSED"), errBytes.toString(StandardCharsets.UTF_8));

        assertEquals(Commands.EXIT_FAILED, Commands.execute(new Receive(out, err), out, err, endpoint(), "missing.txt",
                "--out", localDir.resolve("m.txt").toString()));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("receive: missing.txt: FILE_NOT_FOUND"), errBytes.toString(StandardCharsets.UTF_8));

        assertEquals(Commands.EXIT_USAGE, Commands.execute(new Send(out, err), out, err, endpoint(), localDir.resolve("nope").toString()));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("no such file or directory"), errBytes.toString(StandardCharsets.UTF_8));
    }
}
