package org.dapstream.files;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileCodec;
import org.dapstream.protocol.FileMessage;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Sends one file on a FILE channel: describes it (size, mode, modification time) and then sends
 * it from an offset as CHUNKs of one frame each, hashing as it reads, then END with the whole
 * file's SHA-256 (the bytes before the offset are read for the hash only). One read of the file.
 * Reads run on the file threads; a writer told to wait waits there, never on the loop.
 */
public final class FileSender {
    /** File bytes per CHUNK: a CHUNK fills one frame, so it is never fragmented. */
    public static final int CHUNK_DATA = FrameLimits.DEFAULT_MESSAGE_PAYLOAD - FileCodec.CHUNK_HEADER_SIZE;
    /** How long a chunk may wait for the channel to take more before the transfer gives up. */
    static final long WRITABLE_TIMEOUT_SECONDS = 60;
    /** How often a waiting sender looks whether its transfer was stopped or its channel closed. */
    static final long WRITABLE_POLL_MILLIS = 200;

    private final Channel channel;
    private final FileIo.Serial io;
    private final Path file;
    private volatile boolean stopped;

    public FileSender(Channel channel, FileIo io, Path file) {
        this.channel = channel;
        this.io = io.serial();
        this.file = file;
    }

    /** The OFFER of this file under {@code path} (on a file thread). */
    public CompletableFuture<FileMessage.Offer> describe(int transfer, String path) {
        CompletableFuture<FileMessage.Offer> offer = new CompletableFuture<>();
        io.execute(() -> {
            try {
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileTransferException(ErrorCode.FILE_NOT_FOUND, "'" + path + "' is not a regular file here");
                }
                int mode = Files.getFileStore(file).supportsFileAttributeView("posix")
                        ? FileReceiver.mode(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)) : 0644;
                offer.complete(new FileMessage.Offer(transfer, Files.size(file), mode, Files.getLastModifiedTime(file).toMillis(), path));
            } catch (FileTransferException e) {
                offer.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                offer.completeExceptionally(new FileTransferException(ErrorCode.FILE_IO_ERROR, "cannot read '" + path + "': " + e));
            }
        });
        return offer;
    }

    /**
     * Sends the file's bytes from {@code offset}, then END; {@code progress} hears the bytes
     * sent so far (offset included). Completes when END was written, fails when the channel
     * ended or the file could not be read.
     */
    public CompletableFuture<Void> send(int transfer, long offset, LongConsumer progress) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        io.execute(() -> {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                MessageDigest digest = FileReceiver.sha256();
                byte[] data = new byte[CHUNK_DATA];
                long prefix = 0;
                while (prefix < offset && !stopped) { // what the receiver has: hashed, not sent
                    int n = in.read(ByteBuffer.wrap(data, 0, (int) Math.min(data.length, offset - prefix)));
                    if (n <= 0) {
                        throw new IOException("the file is shorter than the " + offset + " bytes the receiver has");
                    }
                    digest.update(data, 0, n);
                    prefix += n;
                }
                long done = offset;
                while (!stopped) {
                    int n = in.read(ByteBuffer.wrap(data));
                    if (n <= 0) {
                        break;
                    }
                    digest.update(data, 0, n);
                    if (!channel.write(PacketType.DATA, FileCodec.chunk(transfer, data, 0, n))) {
                        awaitWritable();
                    }
                    done += n;
                    progress.accept(done);
                }
                if (stopped) {
                    sent.completeExceptionally(new FileTransferException(ErrorCode.FILE_IO_ERROR, "the transfer was stopped"));
                    return;
                }
                channel.write(PacketType.DATA, FileCodec.encode(new FileMessage.End(transfer, digest.digest())));
                sent.complete(null);
            } catch (IOException e) {
                sent.completeExceptionally(new FileTransferException(ErrorCode.FILE_IO_ERROR, "cannot read '" + file.getFileName() + "': " + e));
            } catch (ExecutionException | TimeoutException | IllegalStateException e) {
                sent.completeExceptionally(new FileTransferException(ErrorCode.FILE_IO_ERROR, "the channel ended or stopped taking data: " + e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sent.completeExceptionally(e);
            }
        });
        return sent;
    }

    /**
     * Waits on this file thread until the channel takes more, checking every
     * {@link #WRITABLE_POLL_MILLIS} whether the transfer was stopped or the channel closed (a
     * channel that ends while a writer waits may leave its future pending).
     */
    private void awaitWritable() throws ExecutionException, InterruptedException, TimeoutException {
        CompletableFuture<Void> writable = channel.whenWritable();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WRITABLE_TIMEOUT_SECONDS);
        while (true) {
            try {
                writable.get(WRITABLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                if (stopped || channel.state() == Channel.State.CLOSED || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    public void stop() {
        stopped = true;
    }
}
