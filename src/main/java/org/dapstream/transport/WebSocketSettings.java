package org.dapstream.transport;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;

/**
 * Where a node serves streams over WebSocket and the largest message it accepts.
 *
 * @param path           the HTTP path of the upgrade, e.g. {@code /stream}
 * @param maxMessageSize the largest WebSocket message (all its fragments together) and frame accepted; at least
 *                       {@link WebSocketFraming#MAX_SENT_MESSAGE}, so every conforming sender fits
 */
public record WebSocketSettings(String path, int maxMessageSize) {
    public static final String DEFAULT_PATH = "/stream";
    /** 1 MiB: 16 times what a conforming sender writes in one message, room for other clients' choices. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

    public WebSocketSettings {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with /, got " + path);
        }
        if (maxMessageSize < WebSocketFraming.MAX_SENT_MESSAGE) {
            throw new IllegalArgumentException("maxMessageSize must be >= " + WebSocketFraming.MAX_SENT_MESSAGE
                    + " (the largest message a sender writes), got " + maxMessageSize);
        }
    }

    public static WebSocketSettings defaults() {
        return new WebSocketSettings(DEFAULT_PATH, DEFAULT_MAX_MESSAGE_SIZE);
    }

    /**
     * Sets what an HTTP server needs to serve these streams: the subprotocol it may select, the
     * frame limit its decoder enforces, and no compression extension (sealed frames do not
     * compress; payloads are already compressed per channel where it pays).
     */
    public HttpServerOptions applyTo(HttpServerOptions options) {
        if (options.getWebSocketSubProtocols() == null || !options.getWebSocketSubProtocols().contains(WebSocketFraming.SUBPROTOCOL)) {
            options.addWebSocketSubProtocol(WebSocketFraming.SUBPROTOCOL);
        }
        return options.setMaxWebSocketFrameSize(maxMessageSize)
                .setMaxWebSocketMessageSize(maxMessageSize)
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
    }

    /** The client side of {@link #applyTo(HttpServerOptions)}: the frame limit, no compression offered. */
    public WebSocketClientOptions applyTo(WebSocketClientOptions options) {
        return options.setMaxFrameSize(maxMessageSize)
                .setMaxMessageSize(maxMessageSize)
                .setTryUsePerMessageCompression(false)
                .setTryUsePerFrameCompression(false);
    }
}
