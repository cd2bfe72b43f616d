package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamTransport;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * A {@link Stream} over a Vert.x TCP socket.
 *
 * <p>Reads take the raw Netty buffers ({@link NetSocketInternal#messageHandler}) and lend
 * them to the decoder without the copy Vert.x makes for its {@code Buffer} handler. Writes
 * are encoded straight into the connection's {@link WriteBatch}, so the frames of one
 * event-loop turn leave in one socket write.
 *
 * <p>This uses Vert.x's internal {@code NetSocketInternal} API, as Vert.x's own protocol
 * clients do; it is the one place that depends on it.
 */
public final class VertxTransport implements StreamTransport {
    private static final System.Logger LOG = System.getLogger(VertxTransport.class.getName());

    /**
     * How long a closing connection may take to hand its last frames (ERROR or CLOSE after
     * what was queued) to a peer before it is closed without them: 5 s.
     */
    public static final long CLOSE_LINGER_MILLIS = 5_000;

    private final NetSocketInternal socket;
    private final ContextInternal context;
    private final ChannelHandlerContext chctx;
    private final String remote;
    private Stream stream;
    private final WriteBatch batch;
    private ByteBuf claimed;
    private int claimedAt;
    private boolean closed;
    /** Runs once, after the read that completed the stream's first frame; null once run (or when unset). */
    private Runnable firstFrame;
    /** The linger timer of a close in progress, or -1; cancelled once the socket is closed so nothing keeps this transport. */
    private long lingerTimer = -1;

    /** Call on the socket's event loop (in the connect or accept handler). */
    public VertxTransport(NetSocket socket) {
        this.socket = (NetSocketInternal) socket;
        this.context = (ContextInternal) Vertx.currentContext();
        if (context == null || !context.inThread()) {
            throw new IllegalStateException("a transport is made on its socket's event loop");
        }
        this.chctx = this.socket.channelHandlerContext();
        this.remote = String.valueOf(socket.remoteAddress());
        this.batch = new WriteBatch(this.socket);
    }

    /**
     * What to run once the stream has received its first complete frame (the server's
     * admission learns the connection is no longer a cheap partial one). Set before {@link #bind}.
     */
    public void onFirstFrame(Runnable task) {
        this.firstFrame = task;
    }

    /** Builds the stream for this transport and wires the socket's events to it. */
    public Stream bind(Function<StreamTransport, Stream> factory) {
        this.stream = factory.apply(this);
        socket.messageHandler(this::onMessage);
        socket.closeHandler(v -> {
            closed = true;
            if (lingerTimer >= 0) {
                context.owner().cancelTimer(lingerTimer);
            }
            batch.discard();
            stream.onTransportClosed();
        });
        socket.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "socket error from " + remote + ": " + e));
        socket.drainHandler(v -> stream.onWritable());
        stream.start();
        return stream;
    }

    private void onMessage(Object message) {
        if (!(message instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(message);
            return;
        }
        try {
            if (buf.nioBufferCount() == 1) {
                stream.onBytes(buf.nioBuffer(buf.readerIndex(), buf.readableBytes()));
            } else {
                byte[] copy = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), copy);
                stream.onBytes(ByteBuffer.wrap(copy));
            }
        } finally {
            buf.release();
        }
        // Looked at only until the first frame is in: one null test per read after that.
        if (firstFrame != null && stream.stats().packetsReceived() > 0) {
            Runnable task = firstFrame;
            firstFrame = null;
            task.run();
        }
    }

    @Override
    public ByteBuffer claim(int bytes) {
        claimed = batch.claim(bytes);
        claimedAt = claimed.writerIndex();
        return claimed.internalNioBuffer(claimedAt, bytes);
    }

    @Override
    public void commit(int bytes) {
        claimed.writerIndex(claimedAt + bytes);
        claimed = null;
        batch.committed();
    }

    @Override
    public boolean writeQueueFull() {
        return batch.writeQueueFull();
    }

    @Override
    public long queuedBytes() {
        return batch.queuedBytes();
    }

    @Override
    public void pauseReading() {
        // With a raw message handler, NetSocket.pause() would only pause Vert.x's unused
        // inbound queue; turning off auto-read stops the socket itself.
        chctx.channel().config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        chctx.channel().config().setAutoRead(true);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        batch.flushAndClose().onComplete(ar -> socket.close());
        // A peer that does not read never lets that write (nor Vert.x's close, which waits for
        // it) complete: past the linger the connection is closed at once and its queue dropped.
        // Closed beneath the pipeline: Vert.x's handler would turn a close into the same wait.
        lingerTimer = context.setTimer(CLOSE_LINGER_MILLIS, id -> {
            Channel channel = chctx.channel();
            if (channel.isOpen()) {
                channel.unsafe().close(channel.voidPromise());
            }
        });
    }

    @Override
    public void execute(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    @Override
    public boolean inLoop() {
        return context.inThread();
    }

    @Override
    public Cancellable every(long periodMillis, Runnable task) {
        long timer = context.setPeriodic(periodMillis, id -> task.run());
        return () -> context.owner().cancelTimer(timer);
    }

    @Override
    public Cancellable after(long delayMillis, Runnable task) {
        long timer = context.setTimer(delayMillis, id -> task.run());
        return () -> context.owner().cancelTimer(timer);
    }

    @Override
    public String remoteAddress() {
        return remote;
    }
}
