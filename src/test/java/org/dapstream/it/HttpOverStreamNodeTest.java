package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.client.StreamHttpClient;
import org.dapstream.client.StreamHttpException;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** The node Quarkus started serves SERVICE channels: the authority {@code node} reaches its own HTTP port, nothing else is allowed. */
@QuarkusTest
class HttpOverStreamNodeTest {
    static final int TIMEOUT_SECONDS = 10;

    @Inject
    StreamEndpoint endpoint;

    @Test
    void theNodesOwnRoutesAnswerAndUnknownUpstreamsAreRefused() throws Exception {
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            StreamHttpClient http = StreamHttpClient.open(client.connect("127.0.0.1", endpoint.server().port())
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create("http://node/no-such-route")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode(), "the node's HTTP server answered: " + missing.body());
            HttpResponse<String> gateway = http.send(HttpRequest.newBuilder(URI.create("http://node/gateway/openapi")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(gateway.headers().firstValue("content-type").orElse("").contains("json"),
                    "the gateway's own answer (" + gateway.statusCode() + "): " + gateway.body());
            ExecutionException e = assertThrows(ExecutionException.class, () -> http.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://localhost:9000/q/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(ErrorCode.SERVICE_UPSTREAM_REFUSED, assertInstanceOf(StreamHttpException.class, e.getCause()).code());
        }
    }
}
