package org.dapstream.ops.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;

/** Writes admin answers as JSON; errors are {@code {"error": "what is wrong"}}. */
final class AdminJson {
    static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AdminJson() {
    }

    static void ok(RoutingContext rc, int status, Object body) {
        String text;
        try {
            text = MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            error(rc, 500, "could not write the answer: " + e.getOriginalMessage());
            return;
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(text);
    }

    static void error(RoutingContext rc, int status, String message) {
        String text;
        try {
            text = MAPPER.writeValueAsString(Map.of("error", message));
        } catch (JsonProcessingException e) {
            text = "{\"error\":\"unprintable message\"}";
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(text);
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }
}
