package org.dapstream.ops.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;

/** Writes the HTTP APIs' answers (admin, gateway) as JSON; errors are {@code {"error": "what is wrong"}}. */
public final class JsonReplies {
    public static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonReplies() {
    }

    public static void ok(RoutingContext rc, int status, Object body) {
        String text;
        try {
            text = MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            error(rc, 500, "could not write the answer: " + e.getOriginalMessage());
            return;
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(text);
    }

    public static void error(RoutingContext rc, int status, String message) {
        String text;
        try {
            text = MAPPER.writeValueAsString(Map.of("error", message));
        } catch (JsonProcessingException e) {
            text = "{\"error\":\"unprintable message\"}";
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(text);
    }

    /**
     * An error answer after which the connection is closed: for a request whose body was not
     * read, so the rest of it is not drained into the server (HTTP/1.x; HTTP/2 resets the stream).
     */
    public static void errorAndClose(RoutingContext rc, int status, String message) {
        boolean http1 = rc.request().version() != HttpVersion.HTTP_2;
        if (http1) {
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        rc.response().endHandler(v -> {
            if (http1) {
                rc.request().connection().close();
            }
        });
        error(rc, status, message);
    }

    /**
     * Loads Jackson and builds its serializers for the views now, on the start-up thread:
     * done by the first request instead, it held an event loop (which also serves streams and
     * cluster links) for seconds on a loaded machine.
     */
    public static void warmUp(Object... views) {
        for (Object v : views) {
            try {
                MAPPER.writeValueAsString(v);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("view " + v.getClass().getSimpleName() + " cannot be written as JSON", e);
            }
        }
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
