package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.function.Consumer;

/**
 * The whole node with Kubernetes discovery, its service account forbidden to list
 * EndpointSlices: readiness is DOWN with the reason and the RBAC to grant, never a silent
 * cluster of one; the admin API and the discovery gauge say the same.
 */
@QuarkusTest
@TestProfile(KubernetesForbiddenReadinessTest.Forbidden.class)
@WithKubernetesTestServer(crud = false, setup = KubernetesForbiddenReadinessTest.Refuse.class)
class KubernetesForbiddenReadinessTest {
    static final String COLLECTION = "/apis/discovery.k8s.io/v1/namespaces/" + KubernetesClusterProfile.NAMESPACE + "/endpointslices";
    static final String FIRST_LIST = COLLECTION + "?labelSelector=kubernetes.io%2Fservice-name%3Ddap-stream-members&resourceVersion=0";

    /** Its own application: the API server is scripted to refuse. */
    public static class Forbidden extends KubernetesClusterProfile {
    }

    /** Every LIST of the members' slices answers 403, as without the Role. */
    public static class Refuse implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer server) {
            Status forbidden = new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                    .withMessage("endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:dap:default\" cannot list "
                            + "resource \"endpointslices\" in API group \"discovery.k8s.io\" in the namespace \"dap\"").build();
            server.expect().get().withPath(FIRST_LIST).andReturn(403, forbidden).always();
        }
    }

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void forbiddenDiscoveryIsNotReadyAndSaysWhichRoleToGrant() throws Exception {
        Management mgmt = new Management(management);
        Management.Answer ready = mgmt.get("/q/health/ready");
        for (int i = 0; i < 50 && !ready.body().contains("403"); i++) {
            Thread.sleep(100); // the informer's first LIST is under way at start
            ready = mgmt.get("/q/health/ready");
        }
        assertEquals(503, ready.status(), ready.body());
        JsonNode check = HealthTest.checks(ready.json()).get("cluster");
        assertEquals("DOWN", check.get("status").asText(), ready.body());
        JsonNode data = check.get("data");
        assertEquals("kubernetes", data.get("discovery").asText());
        assertTrue(data.get("error").asText().contains("403"), data.toString());
        assertTrue(data.get("fix").asText().contains("endpointslices"), data.toString());
        assertTrue(data.get("fix").asText().contains("watch"), data.toString());
        assertEquals("UP", HealthTest.checks(ready.json()).get("stream-endpoint").get("status").asText(), "only discovery is down");

        JsonNode cluster = mgmt.admin("GET", "/admin/cluster").json();
        assertFalse(cluster.get("discovery").get("synced").asBoolean(), cluster.toString());
        assertTrue(cluster.get("discovery").get("problem").asText().contains("403"), cluster.toString());
        assertEquals(0, cluster.get("members").size(), "no member is made up: " + cluster);
        assertTrue(mgmt.get("/q/metrics").body().contains("dap_stream_cluster_discovery_synced 0.0"), "the gauge says it too");
    }
}
