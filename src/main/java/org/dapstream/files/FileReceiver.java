package org.dapstream.files;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileMessage;
import org.dapstream.stream.Channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Receives one offered file into {@code target}: bytes go to a partial file beside it (named by
 * the offered size and modification time, so a transfer of the same file cut earlier continues
 * where it stopped), are hashed and written on the file threads while the channel is paused
 * past a channel window's worth of chunks (memory stays bounded whatever the file's size), and
 * at END the SHA-256 of the whole file (the bytes kept from before included, read once at the
 * start) is checked against the sender's and the file moved into place with its mode and
 * modification time.
 */
public final class FileReceiver {
    /** Chunks waiting for the disk before the channel is paused (each at most a 64 KiB frame): the default channel window's worth. */
    static final int MAX_PENDING_CHUNKS = 16;
    /** A paused channel is resumed once the disk is down to this many chunks. */
    static final int RESUME_PENDING_CHUNKS = MAX_PENDING_CHUNKS / 4;
    /** Reads of the partial file when hashing it at the end. */
    static final int HASH_BUFFER = 64 * 1024;

    /** How the transfer ended; called on a file thread. */
    public interface Outcome {
        void done(long size);

        void failed(ErrorCode code, String reason);
    }

    private final Channel channel;
    private final FileIo.Serial io;
    private final Path target;
    private final Path part;
    private final FileMessage.Offer offer;
    private final boolean overwrite;
    private final AtomicInteger pending = new AtomicInteger();
    /** Set on the loop when it paused the channel, cleared by the file thread that resumes it. */
    private final AtomicBoolean paused = new AtomicBoolean();
    private volatile boolean ended;
    // Touched on the file threads only (one at a time, in order).
    private FileChannel file;
    private long written;
    /** The SHA-256 of what the partial file holds so far. */
    private MessageDigest digest;

    /** A receiver whose partial file is named by the offered size and modification time (a put: the offer comes first). */
    FileReceiver(Channel channel, FileIo io, Path target, FileMessage.Offer offer, boolean overwrite) {
        this(channel, io, target, target.resolveSibling("." + target.getFileName() + "." + HexFormat.of().toHexDigits(offer.size())
                + HexFormat.of().toHexDigits(offer.mtimeMillis()) + ".part"), offer, overwrite);
    }

    /** A receiver with the partial file {@code part} (a get: the offset is asked for before the offer is known). */
    public FileReceiver(Channel channel, FileIo io, Path target, Path part, FileMessage.Offer offer, boolean overwrite) {
        this.channel = channel;
        this.io = io.serial();
        this.target = target;
        this.offer = offer;
        this.overwrite = overwrite;
        this.part = part;
    }

    /** The partial file of a get of {@code target}: what an earlier, cut transfer left. */
    public static Path partOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".part");
    }

    public FileMessage.Offer offer() {
        return offer;
    }

    /**
     * Opens the partial file and completes with the bytes already there (0 for a new transfer),
     * or fails with a {@link FileTransferException} saying why the file is refused.
     */
    public CompletableFuture<Long> start() {
        CompletableFuture<Long> offset = new CompletableFuture<>();
        io.execute(() -> {
            try {
                if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileTransferException(ErrorCode.FILE_REFUSED, "'" + offer.path() + "' exists, and this side does not overwrite");
                }
                Files.createDirectories(target.toAbsolutePath().getParent());
                file = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                long have = file.size();
                if (have > offer.size()) {
                    file.truncate(0); // not a prefix of this file: start again
                    have = 0;
                }
                digest = sha256();
                hashPrefix(have);
                file.position(have);
                written = have;
                offset.complete(have);
            } catch (FileTransferException e) {
                offset.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                offset.completeExceptionally(new FileTransferException(ErrorCode.FILE_IO_ERROR, "cannot write '" + offer.path() + "': " + e));
            }
        });
        return offset;
    }

    /** The next bytes (on the channel's loop; {@code data} is owned from now on). */
    public void chunk(byte[] data, Outcome outcome) {
        if (pending.incrementAndGet() >= MAX_PENDING_CHUNKS) {
            paused.set(true);
            channel.pause(); // on the loop: at once; the disk catches up, then resume()
        }
        io.execute(() -> {
            try {
                if (!ended) {
                    if (written + data.length > offer.size()) {
                        fail(outcome, ErrorCode.FILE_CORRUPT, "more bytes than the " + offer.size() + " offered");
                    } else {
                        ByteBuffer b = ByteBuffer.wrap(data);
                        while (b.hasRemaining()) {
                            file.write(b);
                        }
                        digest.update(data);
                        written += data.length;
                    }
                }
            } catch (IOException e) {
                fail(outcome, ErrorCode.FILE_IO_ERROR, "cannot write '" + offer.path() + "': " + e.getMessage());
            } finally {
                // Paused again by every chunk that finds the disk behind, so a resume that crosses a pause
                // costs at most one more chunk in memory.
                if (pending.decrementAndGet() <= RESUME_PENDING_CHUNKS && paused.compareAndSet(true, false)) {
                    channel.resume();
                }
            }
        });
    }

    /** Every byte was sent ({@code sha256} the whole file's): check size and SHA-256, then put the file in place. */
    public void end(byte[] sha256, Outcome outcome) {
        io.execute(() -> {
            if (ended) {
                return;
            }
            try {
                file.force(true);
                file.close();
                if (written != offer.size()) {
                    fail(outcome, ErrorCode.FILE_CORRUPT, "END after " + written + " of " + offer.size() + " bytes");
                    return;
                }
                if (!MessageDigest.isEqual(digest.digest(), sha256)) {
                    Files.deleteIfExists(part); // wrong bytes: a later transfer must not continue from them
                    fail(outcome, ErrorCode.FILE_CORRUPT, "SHA-256 of the " + written + " bytes received is not the sender's");
                    return;
                }
                applyMetadata();
                if (overwrite) {
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                }
                ended = true;
                outcome.done(written);
            } catch (IOException e) {
                fail(outcome, ErrorCode.FILE_IO_ERROR, "cannot finish '" + offer.path() + "': " + e.getMessage());
            }
        });
    }

    /** The transfer stops (the peer's FAIL, the channel closed): the partial file stays, to be continued. */
    public void abort() {
        io.execute(() -> {
            ended = true;
            closeQuietly();
            channel.resume();
        });
    }

    private void fail(Outcome outcome, ErrorCode code, String reason) {
        ended = true;
        closeQuietly();
        outcome.failed(code, reason);
    }

    private void closeQuietly() {
        try {
            if (file != null) {
                file.close();
            }
        } catch (IOException e) {
            // the transfer is over either way; the partial file is what it is
        }
    }

    private void applyMetadata() throws IOException {
        Files.setLastModifiedTime(part, FileTime.fromMillis(offer.mtimeMillis()));
        if (Files.getFileStore(part).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(part, permissions(offer.mode()));
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }

    static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= switch (p) {
                case OTHERS_EXECUTE -> 01;
                case OTHERS_WRITE -> 02;
                case OTHERS_READ -> 04;
                case GROUP_EXECUTE -> 010;
                case GROUP_WRITE -> 020;
                case GROUP_READ -> 040;
                case OWNER_EXECUTE -> 0100;
                case OWNER_WRITE -> 0200;
                case OWNER_READ -> 0400;
            };
        }
        return mode;
    }

    /** A fresh SHA-256. */
    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Hashes the first {@code length} bytes of the partial file (kept from a cut transfer), in {@link #HASH_BUFFER} pieces. */
    private void hashPrefix(long length) throws IOException {
        byte[] buffer = new byte[HASH_BUFFER];
        long left = length;
        try (InputStream in = Files.newInputStream(part)) {
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n <= 0) {
                    throw new IOException("the partial file shrank while it was read");
                }
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
    }
}
