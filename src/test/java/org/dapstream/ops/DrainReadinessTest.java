package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Instant;

/** Draining turns readiness DOWN, saying why and since when; liveness stays UP. */
@QuarkusTest
@TestProfile(DrainingProfile.class)
public class DrainReadinessTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    DrainState drain;

    @Test
    void aDrainingNodeIsNotReadyButAlive() {
        Management mgmt = new Management(management);
        assertEquals(200, mgmt.get("/q/health/ready").status(), "serving before the drain");
        assertTrue(drain.begin());
        Instant since = drain.since().orElseThrow();

        Management.Answer ready = mgmt.get("/q/health/ready");
        assertEquals(503, ready.status(), ready.body());
        JsonNode check = HealthTest.checks(ready.json()).get("not-draining");
        assertEquals("DOWN", check.get("status").asText());
        assertEquals("node is draining since " + since + "; it accepts no new streams", check.get("data").get("error").asText());
        assertEquals(since.toString(), check.get("data").get("drainingSince").asText());
        assertEquals("UP", HealthTest.checks(ready.json()).get("stream-endpoint").get("status").asText(),
                "only the drain check is down");
        assertEquals(200, mgmt.get("/q/health/live").status(), "draining is not dying");
        assertTrue(mgmt.admin("GET", "/admin/node").json().get("draining").asBoolean());
    }
}
