package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

import java.nio.ByteBuffer;

/**
 * A Vert.x TCP socket as a {@link ByteConnection}.
 *
 * <p>Reads take the raw Netty buffers ({@link NetSocketInternal#messageHandler}) and lend
 * them without the copy Vert.x makes for its {@code Buffer} handler; writes go to the socket
 * through a {@link NetSocketTarget}.
 *
 * <p>This uses Vert.x's internal {@code NetSocketInternal} API, as Vert.x's own protocol
 * clients do; it and {@link NetSocketTarget} are the places that depend on it.
 */
public final class TcpConnection implements ByteConnection {
    private static final System.Logger LOG = System.getLogger(TcpConnection.class.getName());

    private final NetSocketInternal socket;
    private final ChannelHandlerContext chctx;
    private final NetSocketTarget target;
    private final String remote;

    public TcpConnection(NetSocket socket) {
        this.socket = (NetSocketInternal) socket;
        this.chctx = this.socket.channelHandlerContext();
        this.target = new NetSocketTarget(this.socket);
        this.remote = String.valueOf(socket.remoteAddress());
    }

    @Override
    public BatchTarget batchTarget() {
        return target;
    }

    @Override
    public void start(Events events) {
        socket.messageHandler(message -> onMessage(message, events));
        socket.closeHandler(v -> events.closed());
        socket.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "socket error from " + remote + ": " + e));
        socket.drainHandler(v -> events.writable());
    }

    private static void onMessage(Object message, Events events) {
        if (!(message instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(message);
            return;
        }
        try {
            if (buf.nioBufferCount() == 1) {
                events.bytes(buf.nioBuffer(buf.readerIndex(), buf.readableBytes()));
            } else {
                byte[] copy = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), copy);
                events.bytes(ByteBuffer.wrap(copy));
            }
        } finally {
            buf.release();
        }
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
        socket.close();
    }

    @Override
    public void abort() {
        // Closed beneath the pipeline: Vert.x's handler would turn a close into a wait for the queued writes.
        Channel channel = chctx.channel();
        if (channel.isOpen()) {
            channel.unsafe().close(channel.voidPromise());
        }
    }

    @Override
    public String remoteAddress() {
        return remote;
    }
}
