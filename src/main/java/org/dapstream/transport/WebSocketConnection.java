package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.WebSocketInternal;
import io.vertx.core.http.impl.ws.WebSocketFrameInternal;
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
 * <p>Reads take each frame's data as Vert.x hands it over (Vert.x copies a frame off the pooled
 * read buffer once; there is no raw-buffer handler for WebSockets as there is for TCP).
 * Pausing turns off the channel's auto-read, as {@link TcpConnection} does: Vert.x's own
 * {@code pause()} would queue frames first and stop the socket only later.
 */
public final class WebSocketConnection implements ByteConnection {
    private static final System.Logger LOG = System.getLogger(WebSocketConnection.class.getName());

    private final WebSocketInternal webSocket;
    private final ChannelHandlerContext chctx;
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

    /** Call on the WebSocket's event loop. */
    public WebSocketConnection(WebSocketBase webSocket, int maxMessageSize) {
        this.webSocket = (WebSocketInternal) webSocket;
        this.chctx = this.webSocket.channelHandlerContext();
        this.target = new WebSocketMessageTarget(this.webSocket, (ContextInternal) Vertx.currentContext());
        this.remote = String.valueOf(webSocket.remoteAddress());
        this.maxMessageSize = maxMessageSize;
    }

    @Override
    public BatchTarget batchTarget() {
        return target;
    }

    @Override
    public void start(Events events) {
        webSocket.frameHandler(frame -> onFrame(frame, events));
        webSocket.closeHandler(v -> {
            closed = true;
            events.closed();
        });
        webSocket.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "WebSocket error from " + remote + ": " + e));
        webSocket.drainHandler(v -> events.writable());
    }

    private void onFrame(WebSocketFrame frame, Events events) {
        if (refused || closed) {
            return;
        }
        WebSocketFrameType type = frame.type();
        if (type == WebSocketFrameType.TEXT) {
            refuse(events, WebSocketFraming.CLOSE_UNSUPPORTED_DATA, "a text WebSocket message: DAP Stream frames travel in binary messages");
            return;
        }
        if (type != WebSocketFrameType.BINARY && type != WebSocketFrameType.CONTINUATION) {
            return; // PING and PONG (Vert.x answers pings), CLOSE (the close handler reports it)
        }
        ByteBuf data = ((WebSocketFrameInternal) frame).getBinaryData();
        int size = data.readableBytes();
        messageBytes = type == WebSocketFrameType.BINARY ? size : messageBytes + size;
        if (messageBytes > maxMessageSize) {
            refuse(events, WebSocketFraming.CLOSE_MESSAGE_TOO_BIG, "a WebSocket message of more than " + maxMessageSize + " bytes");
            return;
        }
        if (frame.isFinal()) {
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
