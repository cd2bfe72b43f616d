package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.impl.WebSocketInternal;
import io.vertx.core.impl.ContextInternal;
import org.dapstream.protocol.ErrorCode;

import java.nio.ByteBuffer;

/**
 * A Vert.x WebSocket (server or client side) as a {@link ByteConnection}: the payloads of its
 * binary messages, fragmented or not, are the stream's bytes in order (PROTOCOL.md, "WebSocket
 * transport"); writes go out through a {@link WebSocketMessageTarget}.
 *
 * <p>What the stream cannot carry ends it with an ERROR frame and a specific close code: a
 * text message (PROTOCOL_VIOLATION, 1003) and a message whose fragments add up to more than
 * the limit (PROTOCOL_VIOLATION, 1009). A single frame over the limit never reaches here: the
 * WebSocket decoder refuses its header and drops the connection. Pings are answered by Vert.x.
 *
 * <p>Reads take the data frames straight from Netty's WebSocket decoder, in a handler placed
 * just before Vert.x's: their pooled buffers are lent without the heap copy Vert.x makes of
 * every frame, as {@link TcpConnection} lends a socket's reads. Control frames (ping, pong,
 * close) go on to Vert.x, which answers pings and runs the closing handshake. Pausing turns
 * off the channel's auto-read, as for TCP: Vert.x's own {@code pause()} would queue frames
 * first and stop the socket only later.
 *
 * <p>The channel comes from Vert.x's internal API ({@code WebSocketInternal} on the client,
 * the HTTP connection's {@code ConnectionBase} on the server), as {@link TcpConnection} takes
 * it from {@code NetSocketInternal}.
 */
public final class WebSocketConnection implements ByteConnection {
    private static final System.Logger LOG = System.getLogger(WebSocketConnection.class.getName());
    /** The name of the data-frame handler in the channel's pipeline. */
    static final String FRAME_HANDLER = "dap-stream-frames";

    private final WebSocketBase webSocket;
    private final ChannelHandlerContext chctx;
    private final ContextInternal context;
    private final WebSocketMessageTarget target;
    private final String remote;
    private final int maxMessageSize;
    /** The close code {@link #close()} sends: 1000 unless the binding itself ended the stream. */
    private short closeCode = WebSocketFraming.CLOSE_NORMAL;
    private String closeReason;
    /** Bytes of the binary message in progress (its frames so far). */
    private long messageBytes;
    /** Set once the binding refused input: nothing more is read. */
    private boolean refused;
    private boolean closed;

    /** A client's WebSocket (Vert.x's own, which exposes its channel); call on its event loop. */
    public WebSocketConnection(WebSocketBase webSocket, int maxMessageSize) {
        this(webSocket, ((WebSocketInternal) webSocket).channelHandlerContext(), maxMessageSize);
    }

    /**
     * A WebSocket whose channel is given: a server's, which a router may have wrapped (the
     * channel is the upgraded HTTP connection's, see {@link WebSocketAcceptor}). Call on its event loop.
     *
     * @param chctx the context of Vert.x's handler in the connection's pipeline
     */
    public WebSocketConnection(WebSocketBase webSocket, ChannelHandlerContext chctx, int maxMessageSize) {
        this.webSocket = webSocket;
        this.chctx = chctx;
        this.context = (ContextInternal) Vertx.currentContext();
        this.target = new WebSocketMessageTarget(chctx, context);
        this.remote = String.valueOf(webSocket.remoteAddress());
        this.maxMessageSize = maxMessageSize;
    }

    @Override
    public BatchTarget batchTarget() {
        return target;
    }

    @Override
    public void start(Events events) {
        // Vert.x gives its HTTP channels an allocator whose plain buffer() is unpooled heap (for
        // buffers handed to user code); the WebSocket codec uses buffer() for every masked client
        // frame and for gathering a frame across reads, which then costs a zeroed 64 KiB array and
        // a copy to direct memory per message. The upgraded channel's buffers are ours or are
        // copied by Vert.x (control frames), so pooled direct ones serve them.
        chctx.channel().config().setAllocator(VertxByteBufAllocator.POOLED_ALLOCATOR);
        chctx.pipeline().addBefore(chctx.name(), FRAME_HANDLER, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (message instanceof BinaryWebSocketFrame || message instanceof ContinuationWebSocketFrame
                        || message instanceof TextWebSocketFrame) {
                    // In the connection's Vert.x context, as Vert.x runs its own handlers.
                    context.dispatch((WebSocketFrame) message, frame -> onFrame(frame, events));
                } else {
                    ctx.fireChannelRead(message);
                }
            }
        });
        webSocket.closeHandler(v -> {
            closed = true;
            events.closed();
        });
        webSocket.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "WebSocket error from " + remote + ": " + e));
        webSocket.drainHandler(v -> events.writable());
    }

    /** A data frame: its payload goes to the stream, lent for the call; released here. */
    private void onFrame(WebSocketFrame frame, Events events) {
        try {
            if (refused || closed) {
                return;
            }
            if (frame instanceof TextWebSocketFrame) {
                refuse(events, WebSocketFraming.CLOSE_UNSUPPORTED_DATA, "a text WebSocket message: DAP Stream frames travel in binary messages");
                return;
            }
            ByteBuf data = frame.content();
            int size = data.readableBytes();
            messageBytes = frame instanceof BinaryWebSocketFrame ? size : messageBytes + size;
            if (messageBytes > maxMessageSize) {
                refuse(events, WebSocketFraming.CLOSE_MESSAGE_TOO_BIG, "a WebSocket message of more than " + maxMessageSize + " bytes");
                return;
            }
            if (frame.isFinalFragment()) {
                messageBytes = 0;
            }
            if (size == 0) {
                return;
            }
            if (data.nioBufferCount() == 1) {
                events.bytes(data.nioBuffer(data.readerIndex(), size));
            } else {
                byte[] copy = new byte[size];
                data.getBytes(data.readerIndex(), copy);
                events.bytes(ByteBuffer.wrap(copy));
            }
        } finally {
            frame.release();
        }
    }

    /** Ends the stream with ERROR PROTOCOL_VIOLATION and then the WebSocket with {@code code}; reads nothing more. */
    private void refuse(Events events, short code, String reason) {
        refused = true;
        closeCode = code;
        closeReason = reason;
        pauseReading();
        events.failed(ErrorCode.PROTOCOL_VIOLATION, reason);
    }

    /**
     * A connection refused before any stream exists: {@code frame} (the refusal's ERROR) in one
     * binary message, then the close (1000: the ERROR says why).
     */
    public void refuse(byte[] frame, String reason) {
        closeReason = reason;
        webSocket.writeBinaryMessage(Buffer.buffer(frame)).onComplete(ar -> close());
    }

    @Override
    public void pauseReading() {
        chctx.channel().config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        if (!refused) {
            chctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void close() {
        // The peer answers with its close frame; Vert.x closes the TCP connection then, or after its closing timeout.
        webSocket.close(closeCode, closeReason == null ? null : WebSocketFraming.closeReason(closeReason));
    }

    @Override
    public void abort() {
        // Closed beneath the pipeline, as for TCP: no close frame, nothing queued waits.
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
