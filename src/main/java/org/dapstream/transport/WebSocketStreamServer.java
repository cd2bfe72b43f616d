package org.dapstream.transport;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * Streams over WebSocket on a plain Vert.x HTTP server of its own (no Quarkus), for the load
 * generator and tests; the application serves them on Quarkus's HTTP server instead. One
 * HTTP server instance per event loop on a shared port, like {@link StreamServer}'s
 * acceptors; the connections join {@code streams}' admission. Other paths get 404.
 */
public final class WebSocketStreamServer {
    /** HTTP status of a request for any other path. */
    static final int NOT_FOUND = 404;

    private final Vertx vertx;
    /** Host, port, TLS and socket options the WebSocket settings are applied to. */
    private final HttpServerOptions base;
    private final int instances;
    private final WebSocketAcceptor acceptor;
    private final List<String> deployments = new ArrayList<>();
    private volatile int port = -1;

    /**
     * @param port      0 picks a free one (see {@link #port()})
     * @param instances HTTP server instances, each on its own event loop
     */
    public WebSocketStreamServer(Vertx vertx, StreamServer streams, String host, int port, int instances, WebSocketSettings settings) {
        this(vertx, streams, new HttpServerOptions().setHost(host).setPort(port), instances, settings);
    }

    /**
     * A server on {@code base}'s host, port and TLS settings ({@code setSsl}, {@code setKeyCertOptions}:
     * {@code wss://}); the WebSocket settings, TCP_NODELAY and address reuse are set on a copy.
     */
    public WebSocketStreamServer(Vertx vertx, StreamServer streams, HttpServerOptions base, int instances, WebSocketSettings settings) {
        this.vertx = vertx;
        this.base = new HttpServerOptions(base).setTcpNoDelay(true).setReuseAddress(true);
        this.instances = instances;
        this.acceptor = new WebSocketAcceptor(() -> streams, settings);
    }

    /** Binds and starts accepting; completes once every instance listens. */
    public Future<WebSocketStreamServer> start() {
        return vertx.deployVerticle(Listener::new, new DeploymentOptions().setInstances(Math.max(1, instances)))
                .onSuccess(deployments::add)
                .map(v -> this);
    }

    /** Stops listening; the streams are the stream server's to end. */
    public Future<Void> stop() {
        List<Future<Void>> undeploys = new ArrayList<>();
        for (String id : deployments) {
            undeploys.add(vertx.undeploy(id));
        }
        deployments.clear();
        return Future.join(new ArrayList<>(undeploys)).mapEmpty();
    }

    /** The bound port, -1 before {@link #start()} completes. */
    public int port() {
        return port;
    }

    private final class Listener extends AbstractVerticle {
        private HttpServer server;

        @Override
        public void start(Promise<Void> started) {
            HttpServerOptions options = acceptor.settings().applyTo(new HttpServerOptions(base));
            server = vertx.createHttpServer(options);
            server.requestHandler(this::route);
            server.listen().onSuccess(s -> {
                port = s.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }

        private void route(HttpServerRequest request) {
            if (acceptor.settings().path().equals(request.path())) {
                acceptor.handle(request);
            } else {
                request.response().setStatusCode(NOT_FOUND).end();
            }
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().onComplete(ar -> stopped.complete());
        }
    }
}
