package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.client.FileTransfers;
import org.dapstream.client.StreamClient;
import org.dapstream.files.FileIo;
import org.dapstream.files.FileService;
import org.dapstream.files.FileTransferException;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileCodec;
import org.dapstream.protocol.FileMessage;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * FILE channels over real sockets, real files and the real handshake: a put lands whole (size,
 * SHA-256, mode, modification time) under the node's directory and a get brings it back; a
 * transfer cut by a dropped connection continues from what the receiver has; paths that would
 * leave the directory, existing files and unknown files are refused with their code while the
 * channel goes on; a wrong SHA-256 leaves no file; a malformed message ends only its channel.
 */
class FileTransferSocketTest {
    static final int TIMEOUT_SECONDS = 30;
    static final int SIZE = 5 * 1024 * 1024 + 123;

    @TempDir
    Path nodeDir;
    @TempDir
    Path localDir;

    private FileIo io;
    private LoopbackServer server;
    private StreamClient client;

    @BeforeEach
    void start() throws Exception {
        io = new FileIo(FileIo.DEFAULT_THREADS);
        server = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics()
                .register(new FileService(nodeDir, io, false, 64L * 1024 * 1024)));
        client = LoopbackServer.client(StreamConfig.defaults());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
        io.close();
    }

    private FileTransfers open() throws Exception {
        Stream stream = server.connect(client);
        return FileTransfers.open(stream, io).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private Path randomFile(String name, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path file = localDir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] sha256(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    @Test
    @Timeout(120)
    void aPutLandsWholeWithItsMetadataAndAGetBringsItBack() throws Exception {
        Path local = randomFile("report.bin", SIZE, 1);
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(local, FileTime.fromMillis(1_700_000_000_000L));
        FileTransfers files = open();
        long[] lastProgress = new long[1];
        FileTransfers.Result put = files.put(local, "reports/2026/report.bin", (done, total) -> lastProgress[0] = done)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(new FileTransfers.Result("reports/2026/report.bin", SIZE, 0), put);
        assertEquals(SIZE, lastProgress[0], "progress reached the size");
        Path landed = nodeDir.resolve("reports/2026/report.bin");
        assertArrayEquals(sha256(local), sha256(landed), "the node's copy is the file");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(landed)), "mode kept");
        assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(landed).toMillis(), "modification time kept");
        try (var left = Files.list(landed.getParent())) {
            assertEquals(List.of(landed), left.toList(), "no partial file left beside it");
        }

        Path back = localDir.resolve("back/report.bin");
        FileTransfers.Result got = files.get("reports/2026/report.bin", back, FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(SIZE, got.size());
        assertArrayEquals(sha256(local), sha256(back), "what came back is the file");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(back)));
    }

    /** The connection drops part way; a put on a new connection sends only what the node lacks. */
    @Test
    @Timeout(120)
    void aPutCutByADroppedConnectionContinuesWhereItStopped() throws Exception {
        Path local = randomFile("big.bin", 4 * SIZE, 2);
        Stream first = server.connect(client);
        FileTransfers files = FileTransfers.open(first, io).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        AtomicBoolean cut = new AtomicBoolean();
        CompletableFuture<FileTransfers.Result> broken = files.put(local, "big.bin", (done, total) -> {
            if (done > total / 3 && cut.compareAndSet(false, true)) {
                first.abort(ErrorCode.GOING_AWAY, "the test cuts the connection");
            }
        });
        ExecutionException failed = assertThrows(ExecutionException.class, () -> broken.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertFalse(Files.exists(nodeDir.resolve("big.bin")), "no file in place after a cut: " + failed.getCause());

        FileTransfers again = open();
        FileTransfers.Result resumed = again.put(local, "big.bin", FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(resumed.resumedFrom() > 0, "continued from what the node had: " + resumed);
        assertTrue(resumed.resumedFrom() < 4L * SIZE, "and sent the rest: " + resumed);
        assertArrayEquals(sha256(local), sha256(nodeDir.resolve("big.bin")), "the whole file, once");
    }

    @Test
    @Timeout(60)
    void refusedTransfersSayWhyAndTheChannelGoesOn() throws Exception {
        Path local = randomFile("small.bin", 1000, 3);
        Files.writeString(localDir.resolve("outside.txt"), "outside");
        FileTransfers files = open();
        record Refusal(String remote, ErrorCode code, String says) {
        }
        Files.writeString(nodeDir.resolve("exists.bin"), "x");
        for (Refusal r : List.of(
                new Refusal("../escape.bin", ErrorCode.FILE_REFUSED, "'.' or '..' segment"),
                new Refusal("/etc/passwd", ErrorCode.FILE_REFUSED, "must be relative"),
                new Refusal("a//b.bin", ErrorCode.FILE_REFUSED, "empty"),
                new Refusal("dir\\evil.bin", ErrorCode.FILE_REFUSED, "backslash"),
                new Refusal("exists.bin", ErrorCode.FILE_REFUSED, "exists"))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> files.put(local, r.remote(), FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS), r.remote());
            FileTransferException cause = assertInstanceOf(FileTransferException.class, e.getCause(), r.remote());
            assertEquals(r.code(), cause.code(), r.remote() + ": " + cause);
            assertTrue(cause.getMessage().contains(r.says()), r.remote() + ": " + cause.getMessage());
        }
        assertFalse(Files.exists(nodeDir.getParent().resolve("escape.bin")), "nothing written outside the directory");
        assertEquals("x", Files.readString(nodeDir.resolve("exists.bin")), "the existing file untouched");

        ExecutionException missing = assertThrows(ExecutionException.class,
                () -> files.get("no-such.bin", localDir.resolve("x.bin"), FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(ErrorCode.FILE_NOT_FOUND, ((FileTransferException) missing.getCause()).code());
        ExecutionException escape = assertThrows(ExecutionException.class,
                () -> files.get("../outside.txt", localDir.resolve("y.bin"), FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(ErrorCode.FILE_REFUSED, ((FileTransferException) escape.getCause()).code());

        FileTransfers.Result ok = files.put(local, "after/refusals.bin", FileTransfers.Progress.NONE).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(1000, ok.size(), "the channel goes on after refusals");
    }

    /** A hand-driven FILE channel: an OFFER whose SHA-256 is wrong leaves no file; then a malformed message ends the channel only. */
    @Test
    @Timeout(60)
    void aWrongHashLeavesNoFileAndAMalformedMessageEndsOnlyItsChannel() throws Exception {
        Stream stream = server.connect(client);
        LinkedBlockingQueue<FileMessage> answers = new LinkedBlockingQueue<>();
        CompletableFuture<CloseReason> closed = new CompletableFuture<>();
        Channel raw = stream.openChannel(ChannelType.FILE, new ChannelHandler() {
            @Override
            public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                try {
                    answers.add(FileCodec.decode(data));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }

            @Override
            public void closed(Channel ch, CloseReason reason) {
                closed.complete(reason);
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        byte[] content = "twelve bytes".getBytes();
        raw.write(PacketType.DATA, FileCodec.encode(new FileMessage.Offer(7, content.length, 0644, 0, "wrong.txt")));
        assertEquals(new FileMessage.Accept(7, 0), answers.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        raw.write(PacketType.DATA, FileCodec.encode(new FileMessage.Chunk(7, content)));
        raw.write(PacketType.DATA, FileCodec.encode(new FileMessage.End(7, new byte[32]))); // not the SHA-256 of the content
        FileMessage answer = answers.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        FileMessage.Fail fail = assertInstanceOf(FileMessage.Fail.class, answer);
        assertEquals(ErrorCode.FILE_CORRUPT.code(), fail.code(), fail.reason());
        assertFalse(Files.exists(nodeDir.resolve("wrong.txt")), "no file in place");
        try (var left = Files.list(nodeDir)) {
            assertEquals(0, left.count(), "and no partial file to continue from");
        }

        raw.write(PacketType.DATA, new byte[] {0x09, 0, 0, 0, 0});
        CloseReason reason = closed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(ErrorCode.MALFORMED_FILE_MESSAGE, reason.errorCode(), reason.toString());
        assertTrue(stream.active(), "the stream goes on");
        assertEquals(1000, open().put(randomFile("later.bin", 1000, 4), "later.bin", FileTransfers.Progress.NONE)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).size(), "and FILE channels still work");
    }
}
