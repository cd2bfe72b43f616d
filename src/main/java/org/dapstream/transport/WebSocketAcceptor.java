package org.dapstream.transport;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Serves streams over WebSocket on any Vert.x HTTP server (Quarkus's, or a
 * {@link WebSocketStreamServer}): checks the upgrade request, upgrades, and hands the
 * WebSocket to a {@link StreamServer}, whose {@link Admission} admits it exactly as a TCP
 * connection (caps, setup slots, first-frame deadline, drain).
 *
 * <p>Before the upgrade: not a WebSocket upgrade, 426; the {@link WebSocketFraming#SUBPROTOCOL}
 * not offered, 400; no stream server running, 503. The HTTP server must select the
 * subprotocol ({@link WebSocketSettings#applyTo(io.vertx.core.http.HttpServerOptions)}); a
 * WebSocket without it is closed with 1002.
 */
public final class WebSocketAcceptor implements Handler<HttpServerRequest> {
    private static final System.Logger LOG = System.getLogger(WebSocketAcceptor.class.getName());
    /** HTTP status of a request to the stream path that is not a WebSocket upgrade. */
    public static final int UPGRADE_REQUIRED = 426;
    /** HTTP status of an upgrade that does not offer the subprotocol. */
    public static final int BAD_REQUEST = 400;
    /** HTTP status while no stream server runs (start-up, or the stream endpoint disabled). */
    public static final int UNAVAILABLE = 503;
    /** The request header listing the subprotocols a client offers. */
    static final String SEC_WEBSOCKET_PROTOCOL = "Sec-WebSocket-Protocol";

    private final Supplier<StreamServer> server;
    private final WebSocketSettings settings;

    /** @param server the server whose admission and streams these connections join; null while there is none */
    public WebSocketAcceptor(Supplier<StreamServer> server, WebSocketSettings settings) {
        this.server = server;
        this.settings = settings;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String upgrade = request.getHeader(HttpHeaders.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            request.response().setStatusCode(UPGRADE_REQUIRED).putHeader(HttpHeaders.UPGRADE, "websocket")
                    .end("DAP Stream over WebSocket: upgrade to a WebSocket with subprotocol " + WebSocketFraming.SUBPROTOCOL + "\n");
            return;
        }
        if (!offersSubprotocol(request.getHeader(SEC_WEBSOCKET_PROTOCOL))) {
            request.response().setStatusCode(BAD_REQUEST)
                    .end("offer the WebSocket subprotocol " + WebSocketFraming.SUBPROTOCOL + " (Sec-WebSocket-Protocol)\n");
            return;
        }
        StreamServer streams = server.get();
        if (streams == null) {
            request.response().setStatusCode(UNAVAILABLE).end("the stream endpoint is not running\n");
            return;
        }
        // The host before the upgrade: behind a trusted proxy the HTTP server may have replaced it with the forwarded one.
        SocketAddress peer = request.remoteAddress();
        String host = peer == null ? "" : peer.host();
        // The channel under the WebSocket: the HTTP connection's, the same after the upgrade
        // (a router's WebSocket wrapper does not expose it).
        if (!(request.connection() instanceof ConnectionBase connection)) {
            request.response().setStatusCode(BAD_REQUEST).end("a WebSocket upgrade needs an HTTP/1.1 connection\n");
            return;
        }
        ChannelHandlerContext chctx = connection.channelHandlerContext();
        request.toWebSocket().onSuccess(ws -> accept(streams, ws, chctx, host))
                .onFailure(e -> LOG.log(System.Logger.Level.DEBUG, "WebSocket upgrade from " + host + " failed: " + e));
    }

    private void accept(StreamServer streams, ServerWebSocket ws, ChannelHandlerContext chctx, String host) {
        if (!WebSocketFraming.SUBPROTOCOL.equals(ws.subProtocol())) {
            ws.close(WebSocketFraming.CLOSE_PROTOCOL_ERROR, "subprotocol " + WebSocketFraming.SUBPROTOCOL + " not selected");
            return;
        }
        WebSocketConnection connection = new WebSocketConnection(ws, chctx, settings.maxMessageSize());
        streams.serve(connection, host, refusal -> connection.refuse(refusal.frame(), refusal.code().name()));
    }

    /** Whether a Sec-WebSocket-Protocol header (a comma-separated list) names {@link WebSocketFraming#SUBPROTOCOL}. */
    static boolean offersSubprotocol(String header) {
        return header != null && Arrays.stream(header.split(",")).map(String::trim).anyMatch(WebSocketFraming.SUBPROTOCOL::equals);
    }

    public WebSocketSettings settings() {
        return settings;
    }
}
