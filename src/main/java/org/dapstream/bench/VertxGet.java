package org.dapstream.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Plain HTTP GETs of one route with the Vert.x HTTP client (the one the node forwards SERVICE
 * requests with), keep-alive, one pooled connection per request in flight: {@link HttpBench}'s
 * baseline.
 */
final class VertxGet {
    private final HttpClient client;
    private final URI base;
    private final String path;

    VertxGet(Vertx vertx, URI base, String path, int connections) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
        this.base = base;
        this.path = path;
    }

    /** The status, once the whole body was read. */
    CompletableFuture<Integer> get() {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        client.request(HttpMethod.GET, base.getPort(), base.getHost(), path)
                .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        done.completeExceptionally(ar.cause());
                    } else {
                        done.complete(ar.result());
                    }
                });
        return done;
    }
}
