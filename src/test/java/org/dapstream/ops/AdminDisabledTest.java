package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URL;

/** Without dap.stream.admin.token the admin API refuses everything, whatever the request carries. */
@QuarkusTest
@TestProfile(AdminDisabledProfile.class)
public class AdminDisabledTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void everyAdminRequestIs403WithTheKeyToSet() {
        Management mgmt = new Management(management);
        for (String token : new String[] {null, "", "anything", Management.TOKEN}) {
            for (String path : new String[] {"/admin/node", "/admin/streams", "/admin/openapi"}) {
                Management.Answer a = mgmt.admin("GET", path, token, null);
                assertEquals(403, a.status(), path + " with " + token);
                assertEquals("admin API disabled: set dap.stream.admin.token", a.json().get("error").asText());
            }
        }
        assertEquals(403, mgmt.admin("PUT", "/admin/trace", Management.TOKEN, "{\"enabled\": true}").status());
    }

    @Test
    void healthAndMetricsStayOpen() {
        Management mgmt = new Management(management);
        assertEquals(200, mgmt.get("/q/health/ready").status());
        assertEquals(200, mgmt.get("/q/metrics").status());
    }
}
