package org.dapstream.client;

import org.dapstream.files.FileIo;
import org.dapstream.files.FileReceiver;
import org.dapstream.files.FileSender;
import org.dapstream.files.FileTransferException;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileCodec;
import org.dapstream.protocol.FileMessage;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's FILE channel (PROTOCOL.md section 29): {@link #put} sends a local file into the
 * node's directory, {@link #get} fetches one from it. Both continue a transfer that was cut
 * (the receiver says what it has), check the SHA-256 of the whole file, and keep memory
 * bounded whatever the size. One transfer at a time per channel; open more channels for
 * transfers in parallel. File work runs on the {@link FileIo} threads given.
 */
public final class FileTransfers {
    /** A finished transfer: the remote path, the file's size and the bytes an earlier, cut transfer had already moved. */
    public record Result(String path, long size, long resumedFrom) {
    }

    /** Bytes moved so far (an earlier transfer's included) of {@code total}; called on a file thread. */
    public interface Progress {
        Progress NONE = (done, total) -> { };

        void bytes(long done, long total);
    }

    private final Channel channel;
    private final FileIo io;
    private final AtomicInteger ids = new AtomicInteger();
    /** The transfer under way, or null. */
    private volatile Transfer current;

    private FileTransfers(Channel channel, FileIo io) {
        this.channel = channel;
        this.io = io;
    }

    /** Opens a FILE channel on {@code stream}; fails if the node serves none (no directory configured). */
    public static CompletableFuture<FileTransfers> open(Stream stream, FileIo io) {
        Handler handler = new Handler();
        return stream.openChannel(ChannelType.FILE, handler).thenApply(ch -> {
            FileTransfers t = new FileTransfers(ch, io);
            handler.owner = t;
            return t;
        });
    }

    public Channel channel() {
        return channel;
    }

    /** Sends {@code local} to the node as {@code remote} (relative to its directory, '/'-separated). */
    public CompletableFuture<Result> put(Path local, String remote, Progress progress) {
        Put put = new Put(ids.incrementAndGet(), remote, new FileSender(channel, io, local), progress);
        if (!begin(put)) {
            return put.result;
        }
        put.sender.describe(put.id, remote).whenComplete((offer, failure) -> {
            if (failure != null) {
                put.fail(FileTransferException.of(failure));
            } else {
                put.size = offer.size();
                write(offer);
            }
        });
        return put.result;
    }

    /** Fetches the node's {@code remote} into {@code local}, continuing what an earlier, cut get left beside it. */
    public CompletableFuture<Result> get(String remote, Path local, Progress progress) {
        Path part = FileReceiver.partOf(local.toAbsolutePath());
        long have;
        try {
            have = Files.exists(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            have = 0;
        }
        Get get = new Get(ids.incrementAndGet(), remote, local.toAbsolutePath(), part, have, progress);
        if (begin(get)) {
            write(new FileMessage.Get(get.id, have, remote));
        }
        return get.result;
    }

    private boolean begin(Transfer t) {
        synchronized (this) {
            if (current != null) {
                t.result.completeExceptionally(new IllegalStateException("a transfer is under way on this channel; open another for parallel transfers"));
                return false;
            }
            current = t;
        }
        t.result.whenComplete((r, e) -> {
            synchronized (this) {
                if (current == t) {
                    current = null;
                }
            }
        });
        return true;
    }

    private void write(FileMessage m) {
        try {
            channel.write(PacketType.DATA, FileCodec.encode(m));
        } catch (IllegalStateException e) {
            Transfer t = current;
            if (t != null) {
                t.result.completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED, "the FILE channel closed"));
            }
        }
    }

    /** On the channel's loop: a message of the node. */
    private void on(FileMessage m) throws ProtocolException {
        Transfer t = current;
        if (t == null || m.transfer() != t.id) {
            if (m instanceof FileMessage.Chunk || m instanceof FileMessage.End || m instanceof FileMessage.Fail) {
                return; // of a transfer given up already
            }
            throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, "a FILE message for transfer "
                    + Integer.toUnsignedString(m.transfer()) + ", which is not under way");
        }
        t.on(m);
    }

    private abstract class Transfer {
        final int id;
        final String remote;
        final Progress progress;
        final CompletableFuture<Result> result = new CompletableFuture<>();
        long size;

        Transfer(int id, String remote, Progress progress) {
            this.id = id;
            this.remote = remote;
            this.progress = progress;
        }

        abstract void on(FileMessage m) throws ProtocolException;

        void fail(FileTransferException e) {
            result.completeExceptionally(e);
        }

        ProtocolException outOfTurn(FileMessage m) {
            return new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, m.getClass().getSimpleName().toUpperCase()
                    + " out of turn in transfer " + Integer.toUnsignedString(id));
        }
    }

    private final class Put extends Transfer {
        final FileSender sender;
        long resumedFrom;

        Put(int id, String remote, FileSender sender, Progress progress) {
            super(id, remote, progress);
            this.sender = sender;
        }

        @Override
        void on(FileMessage m) throws ProtocolException {
            if (m instanceof FileMessage.Accept accept) {
                if (accept.offset() > size) {
                    throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, "ACCEPT from " + accept.offset() + " of a " + size + "-byte file");
                }
                resumedFrom = accept.offset();
                sender.send(id, accept.offset(), done -> progress.bytes(done, size)).whenComplete((v, e) -> {
                    if (e != null) {
                        fail(FileTransferException.of(e));
                    }
                });
            } else if (m instanceof FileMessage.Done) {
                result.complete(new Result(remote, size, resumedFrom));
            } else if (m instanceof FileMessage.Fail fail) {
                sender.stop();
                fail(new FileTransferException(code(fail), fail.reason()));
            } else {
                throw outOfTurn(m);
            }
        }
    }

    private final class Get extends Transfer {
        final Path local;
        final Path part;
        final long have;
        FileReceiver receiver;
        long received;

        Get(int id, String remote, Path local, Path part, long have, Progress progress) {
            super(id, remote, progress);
            this.local = local;
            this.part = part;
            this.have = have;
            this.received = have;
        }

        @Override
        void on(FileMessage m) throws ProtocolException {
            if (m instanceof FileMessage.Offer offer && receiver == null) {
                size = offer.size();
                receiver = new FileReceiver(channel, io, local, part, offer, false);
                receiver.start().whenComplete((offset, e) -> {
                    if (e != null) {
                        fail(FileTransferException.of(e));
                    } else if (offset != have) {
                        fail(new FileTransferException(ErrorCode.FILE_IO_ERROR, "the partial file changed during the request"));
                    }
                });
            } else if (m instanceof FileMessage.Chunk chunk && receiver != null) {
                received += chunk.data().length;
                long done = received;
                receiver.chunk(chunk.data(), outcome());
                progress.bytes(done, size);
            } else if (m instanceof FileMessage.End end && receiver != null) {
                receiver.end(end.sha256(), outcome());
            } else if (m instanceof FileMessage.Fail fail) {
                if (receiver != null) {
                    receiver.abort();
                }
                fail(new FileTransferException(code(fail), fail.reason()));
            } else {
                throw outOfTurn(m);
            }
        }

        private FileReceiver.Outcome outcome() {
            return new FileReceiver.Outcome() {
                @Override
                public void done(long bytes) {
                    result.complete(new Result(remote, bytes, have));
                }

                @Override
                public void failed(ErrorCode code, String reason) {
                    fail(new FileTransferException(code, reason));
                }
            };
        }
    }

    private static ErrorCode code(FileMessage.Fail fail) {
        ErrorCode code = ErrorCode.fromCode(fail.code());
        return code == null ? ErrorCode.FILE_IO_ERROR : code;
    }

    /** The channel's callbacks: decode and hand to the owner; a malformed message ends the channel. */
    private static final class Handler implements ChannelHandler {
        volatile FileTransfers owner;

        @Override
        public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
            FileTransfers t = owner;
            try {
                if (t == null) {
                    throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, "a FILE message before any transfer");
                }
                t.on(FileCodec.decode(data));
            } catch (ProtocolException e) {
                ch.fail(e.code(), e.getMessage());
                if (t != null && t.current != null) {
                    t.current.result.completeExceptionally(new StreamException(e.code(), e.getMessage()));
                }
            }
        }

        @Override
        public void closed(Channel ch, CloseReason reason) {
            FileTransfers t = owner;
            Transfer current = t == null ? null : t.current;
            if (current != null) {
                if (current instanceof Put put) {
                    put.sender.stop();
                } else if (current instanceof Get get && get.receiver != null) {
                    get.receiver.abort();
                }
                current.result.completeExceptionally(new StreamException(reason));
            }
        }
    }
}
