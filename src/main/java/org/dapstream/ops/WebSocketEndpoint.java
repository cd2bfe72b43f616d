package org.dapstream.ops;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.dapstream.transport.WebSocketAcceptor;
import org.dapstream.transport.WebSocketFraming;
import org.dapstream.transport.WebSocketSettings;

/**
 * Streams over WebSocket on Quarkus's HTTP server (port 8080, {@code dap.stream.websocket.path},
 * default {@code /stream}): a route on its router hands each upgrade to a
 * {@link WebSocketAcceptor}, which joins the stream endpoint's server, so WebSocket streams
 * share its admission (caps, setup slots, drain), its services and its sessions. As a
 * customizer of the HTTP server's options it lets the server select the subprotocol, sets the
 * frame limit and turns WebSocket compression off. While the stream endpoint is not running
 * (start-up, or {@code dap.stream.tcp.enabled=false}) upgrades get 503.
 */
@ApplicationScoped
public class WebSocketEndpoint implements HttpServerOptionsCustomizer {
    private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());

    private final StreamServerConfig config;
    private final StreamEndpoint endpoint;

    public WebSocketEndpoint(StreamServerConfig config, StreamEndpoint endpoint) {
        this.config = config;
        this.endpoint = endpoint;
    }

    /** The {@code dap.stream.websocket.*} keys as settings; a bad value fails start-up naming its key. */
    WebSocketSettings settings() {
        StreamServerConfig.WebSocket ws = config.websocket();
        return ConfigErrors.settings()
                .with("path", "dap.stream.websocket.path", ws.path())
                .with("maxMessageSize", "dap.stream.websocket.max-message-size", ws.maxMessageSize())
                .build(() -> new WebSocketSettings(ws.path(), ws.maxMessageSize()));
    }

    void routes(@Observes Router router) {
        if (!config.websocket().enabled()) {
            LOG.log(System.Logger.Level.INFO, "streams over WebSocket disabled (dap.stream.websocket.enabled=false)");
            return;
        }
        WebSocketSettings settings = settings();
        WebSocketAcceptor acceptor = new WebSocketAcceptor(endpoint::server, settings);
        router.route(settings.path()).handler(rc -> acceptor.handle(rc.request()));
        LOG.log(System.Logger.Level.INFO, "streams over WebSocket at " + settings.path() + " on the HTTP port (subprotocol "
                + WebSocketFraming.SUBPROTOCOL + ", messages up to " + settings.maxMessageSize() + " bytes)");
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        customize(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        customize(options);
    }

    private void customize(HttpServerOptions options) {
        if (config.websocket().enabled()) {
            settings().applyTo(options);
        }
    }
}
