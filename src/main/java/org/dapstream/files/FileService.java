package org.dapstream.files;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileCodec;
import org.dapstream.protocol.FileMessage;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * The node's side of FILE channels (PROTOCOL.md section 29): a client puts files into the
 * node's directory (OFFER, CHUNKs, END; the node answers ACCEPT with what it already has, and
 * DONE once the SHA-256 checks) and gets files from it (GET from an offset; the node answers
 * OFFER, CHUNKs, END). Every path stays under the directory; one transfer at a time per
 * channel; a malformed or out-of-turn message ends the channel with MALFORMED_FILE_MESSAGE,
 * a refused transfer is a FAIL and the channel goes on.
 */
public final class FileService implements ChannelService {
    private final Path root;
    private final FileIo io;
    private final boolean overwrite;
    private final long maxFileBytes;

    /**
     * @param root         the directory files are put into and served from
     * @param overwrite    whether a put may replace an existing file
     * @param maxFileBytes largest file a put may offer
     */
    public FileService(Path root, FileIo io, boolean overwrite, long maxFileBytes) {
        this.root = root.toAbsolutePath().normalize();
        this.io = io;
        this.overwrite = overwrite;
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    public ChannelType type() {
        return ChannelType.FILE;
    }

    @Override
    public void opened(Channel channel) {
        channel.attach(new Conversation(channel));
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        Conversation c = (Conversation) channel.attachment();
        try {
            if (type != PacketType.DATA) {
                throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, "FILE messages travel as DATA, not " + type);
            }
            c.on(FileCodec.decode(data));
        } catch (ProtocolException e) {
            c.stop();
            channel.fail(e.code(), e.getMessage());
        }
    }

    @Override
    public void closed(Channel channel, CloseReason reason) {
        Object c = channel.attachment();
        if (c instanceof Conversation conversation) {
            conversation.stop();
        }
    }

    /** One channel's transfers: at most one at a time. Its state is touched on the channel's loop. */
    private final class Conversation {
        private final Channel channel;
        // Set on the loop when a transfer starts, cleared by its outcome on a file thread.
        private volatile FileReceiver receiving;
        private volatile FileSender sending;
        private volatile int transfer;
        /** The transfer refused last: its CHUNKs and END still on their way are dropped, not errors. */
        private volatile Integer abandoned;

        Conversation(Channel channel) {
            this.channel = channel;
        }

        void on(FileMessage m) throws ProtocolException {
            if (m instanceof FileMessage.Offer offer) {
                offer(offer);
            } else if (m instanceof FileMessage.Chunk chunk) {
                FileReceiver r = current(chunk);
                if (r != null) {
                    r.chunk(chunk.data(), outcome(r));
                }
            } else if (m instanceof FileMessage.End end) {
                FileReceiver r = current(end);
                if (r != null) {
                    receiving = null;
                    r.end(end.sha256(), outcome(r));
                }
            } else if (m instanceof FileMessage.Get get) {
                get(get);
            } else if (m instanceof FileMessage.Fail fail) {
                stop(); // the client gives up its transfer; the partial file stays, to be continued
            } else {
                throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, m.getClass().getSimpleName().toUpperCase()
                        + " is sent by the side that receives a file; this node receives only OFFER, CHUNK, END, GET and FAIL");
            }
        }

        private void offer(FileMessage.Offer offer) {
            if (busy(offer.transfer())) {
                return;
            }
            if (offer.size() > maxFileBytes) {
                refuse(offer.transfer(), ErrorCode.FILE_REFUSED, "'" + offer.path() + "' is " + offer.size()
                        + " bytes; this node takes files of at most " + maxFileBytes + " (dap.stream.file.max-file-bytes)");
                return;
            }
            Path target;
            try {
                target = FilePaths.resolve(root, offer.path());
            } catch (IllegalArgumentException e) {
                refuse(offer.transfer(), ErrorCode.FILE_REFUSED, e.getMessage());
                return;
            }
            FileReceiver r = new FileReceiver(channel, io, target, offer, overwrite);
            receiving = r;
            transfer = offer.transfer();
            r.start().whenComplete((offset, failure) -> {
                if (failure != null) {
                    FileTransferException e = FileTransferException.of(failure);
                    finished(r);
                    refuse(offer.transfer(), e.code(), e.getMessage());
                    return;
                }
                write(new FileMessage.Accept(offer.transfer(), offset));
            });
        }

        private void get(FileMessage.Get get) {
            if (busy(get.transfer())) {
                return;
            }
            Path file;
            try {
                file = FilePaths.resolve(root, get.path());
            } catch (IllegalArgumentException e) {
                refuse(get.transfer(), ErrorCode.FILE_REFUSED, e.getMessage());
                return;
            }
            FileSender s = new FileSender(channel, io, file);
            sending = s;
            transfer = get.transfer();
            s.describe(get.transfer(), get.path()).thenCompose(offer -> {
                if (get.offset() > offer.size()) {
                    throw new CompletionException(new FileTransferException(ErrorCode.FILE_REFUSED, "GET from " + get.offset()
                            + " of '" + get.path() + "', which has " + offer.size() + " bytes"));
                }
                write(offer);
                return s.send(get.transfer(), get.offset(), done -> { });
            }).whenComplete((v, failure) -> {
                if (failure != null) {
                    FileTransferException e = FileTransferException.of(failure);
                    refuse(get.transfer(), e.code(), e.getMessage());
                }
                sending = null;
            });
        }

        /** A new transfer while one is under way is refused; the one under way goes on. */
        private boolean busy(int next) {
            if (receiving != null || sending != null) {
                refuse(next, ErrorCode.FILE_REFUSED, "transfer " + Integer.toUnsignedString(transfer)
                        + " is under way on this channel; open another FILE channel for transfers in parallel");
                return true;
            }
            return false;
        }

        /** The receiver of {@code m}'s transfer; null for one refused already (dropped); an unknown transfer is malformed. */
        private FileReceiver current(FileMessage m) throws ProtocolException {
            FileReceiver r = receiving;
            if (r == null && abandoned != null && abandoned == m.transfer()) {
                return null;
            }
            if (r == null || m.transfer() != transfer) {
                throw new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, m.getClass().getSimpleName().toUpperCase()
                        + " of transfer " + Integer.toUnsignedString(m.transfer()) + ", which is not being received");
            }
            return r;
        }

        private FileReceiver.Outcome outcome(FileReceiver r) {
            int id = r.offer().transfer();
            return new FileReceiver.Outcome() {
                @Override
                public void done(long size) {
                    write(new FileMessage.Done(id));
                }

                @Override
                public void failed(ErrorCode code, String reason) {
                    finished(r); // the client may offer again (or another file) without sending the rest
                    refuse(id, code, reason);
                }
            };
        }

        private void finished(FileReceiver r) {
            abandoned = r.offer().transfer();
            if (receiving == r) {
                receiving = null;
            }
        }

        void stop() {
            if (receiving != null) {
                receiving.abort();
                receiving = null;
            }
            if (sending != null) {
                sending.stop();
            }
        }

        private void refuse(int id, ErrorCode code, String reason) {
            write(new FileMessage.Fail(id, code.code(), reason));
        }

        private void write(FileMessage m) {
            if (channel.active()) {
                try {
                    channel.write(PacketType.DATA, FileCodec.encode(m));
                } catch (IllegalStateException e) {
                    // the channel closed meanwhile: nobody is left to tell
                }
            }
        }
    }
}
