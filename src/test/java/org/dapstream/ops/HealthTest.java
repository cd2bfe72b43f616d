package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.HashMap;
import java.util.Map;

/** A serving node: every probe UP, each check by name, all on the management interface only. */
@QuarkusTest
public class HealthTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @TestHTTPResource("/")
    URL publicHttp;

    protected Management mgmt;

    @BeforeEach
    void client() {
        mgmt = new Management(management);
    }

    /** Check name to its JSON, from one health answer. */
    static Map<String, JsonNode> checks(JsonNode health) {
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode c : health.get("checks")) {
            out.put(c.get("name").asText(), c);
        }
        return out;
    }

    @Test
    void livenessIsUpWithEveryEventLoopWatched() {
        Management.Answer live = mgmt.get("/q/health/live");
        assertEquals(200, live.status(), live.body());
        JsonNode loops = checks(live.json()).get("event-loops");
        assertEquals("UP", loops.get("status").asText(), live.body());
        assertTrue(loops.get("data").get("loops").asInt() >= 1, live.body());
        assertEquals(1000, loops.get("data").get("thresholdMillis").asLong(), "the %test threshold");
    }

    @Test
    void readinessIsUpWhenBoundIdentifiedAndNotDraining() {
        Management.Answer ready = mgmt.get("/q/health/ready");
        assertEquals(200, ready.status(), ready.body());
        Map<String, JsonNode> checks = checks(ready.json());
        assertEquals("UP", ready.json().get("status").asText());
        assertEquals("UP", checks.get("stream-endpoint").get("status").asText());
        assertEquals(mgmt.streamPort(), checks.get("stream-endpoint").get("data").get("port").asInt());
        assertEquals("UP", checks.get("node-identity").get("status").asText());
        assertTrue(checks.get("node-identity").get("data").get("node").asText().matches("\\p{XDigit}{4}(::\\p{XDigit}{4}){3}"),
                ready.body());
        assertEquals("UP", checks.get("not-draining").get("status").asText());
    }

    @Test
    void startupIsUpOnceTheEndpointStarted() {
        Management.Answer started = mgmt.get("/q/health/started");
        assertEquals(200, started.status(), started.body());
        assertEquals("UP", checks(started.json()).get("stream-endpoint-started").get("status").asText(), started.body());
    }

    @Test
    void probesMetricsAndAdminAreNotOnThePublicHttpPort() {
        Management onPublic = Management.elsewhere(publicHttp);
        assertNotEquals(mgmt.base(), onPublic.base());
        for (String path : new String[] {"/q/health/ready", "/q/metrics", "/admin/node"}) {
            assertEquals(404, onPublic.admin("GET", path).status(), path + " must not be served on the public port");
        }
    }
}
