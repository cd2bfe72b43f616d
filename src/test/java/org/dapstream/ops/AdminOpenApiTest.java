package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.dapstream.ops.admin.AdminRoutes;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The OpenAPI document served at /admin/openapi describes exactly the operations the admin
 * routes serve, and each documented operation answers with a documented status.
 */
@QuarkusTest
public class AdminOpenApiTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** "METHOD path" of every operation in a document. */
    static Set<String> operations(JsonNode doc) {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            path.getValue().fieldNames().forEachRemaining(m -> out.add(m.toUpperCase(Locale.ROOT) + " " + path.getKey()));
        }
        return out;
    }

    @Test
    void theServedDocumentIsTheCheckedInOne() throws IOException {
        Management.Answer served = new Management(management).admin("GET", "/admin/openapi");
        assertEquals(200, served.status());
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("org/dapstream/ops/admin/openapi.json")) {
            assertEquals(new ObjectMapper().readTree(in), served.json());
        }
        assertTrue(served.json().get("openapi").asText().startsWith("3."));
    }

    @Test
    void theDocumentListsEveryRouteAndNoOther() throws IOException {
        JsonNode doc = new Management(management).admin("GET", "/admin/openapi").json();
        Set<String> routes = new TreeSet<>();
        for (AdminRoutes.Operation op : AdminRoutes.OPERATIONS) {
            routes.add(op.method().name() + " " + op.path());
        }
        assertEquals(routes, operations(doc));
    }

    @Test
    void everyDocumentedOperationAnswersADocumentedStatus() {
        Management mgmt = new Management(management);
        JsonNode doc = mgmt.admin("GET", "/admin/openapi").json();
        Set<String> tried = new HashSet<>();
        for (String op : operations(doc)) {
            String method = op.substring(0, op.indexOf(' '));
            String template = op.substring(op.indexOf(' ') + 1);
            // An id no live stream or session has: the route must still be the documented one (404 with a reason).
            String path = template.replace("{id}", template.contains("sessions") ? "4000000000" : "2000000000");
            if (method.equals("DELETE") || method.equals("PUT") && path.equals("/admin/trace")) {
                String body = method.equals("PUT") ? "{\"enabled\": false}" : null;
                check(doc, template, method, mgmt.admin(method, path, Management.TOKEN, body));
            } else {
                check(doc, template, method, mgmt.admin(method, path));
            }
            tried.add(op);
        }
        assertEquals(operations(doc), tried);
    }

    private static void check(JsonNode doc, String template, String method, Management.Answer a) {
        JsonNode responses = doc.get("paths").get(template).get(method.toLowerCase(Locale.ROOT)).get("responses");
        assertTrue(responses.has(String.valueOf(a.status())), method + " " + template + " answered undocumented " + a.status() + ": " + a.body());
        if (a.status() >= 400) {
            assertNotEquals(-1, a.json().get("error").asText().indexOf(' '), "an error says what is wrong");
            assertTrue(!a.json().get("error").asText().startsWith("no admin operation"), method + " " + template + " is not routed");
        }
    }
}
