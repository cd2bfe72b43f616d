package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole node with Kubernetes discovery against the mock API server in CRUD mode: the
 * members Service's slices become the member table of GET /admin/cluster as they change
 * (ready, terminating and serving: draining, deleted: gone), and readiness is UP.
 */
@QuarkusTest
@TestProfile(KubernetesMembersTest.Members.class)
@WithKubernetesTestServer(crud = true)
class KubernetesMembersTest {
    /** Its own application. */
    public static class Members extends KubernetesClusterProfile {
    }

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    KubernetesClient client;

    private static EndpointSlice slice(String name, boolean terminating, String... addresses) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withName(name)
                .withNamespace(KubernetesClusterProfile.NAMESPACE).addToLabels("kubernetes.io/service-name", "dap-stream-members")
                .endMetadata().withAddressType("IPv4").addNewPort().withName("cluster").withPort(8078).withProtocol("TCP").endPort();
        for (String a : addresses) {
            b.addNewEndpoint().withAddresses(a).withNewConditions().withReady(!terminating).withServing(true)
                    .withTerminating(terminating).endConditions().endEndpoint();
        }
        return b.build();
    }

    private static List<String> rows(JsonNode cluster, String field) {
        List<String> out = new ArrayList<>();
        cluster.get("members").forEach(m -> out.add(m.get("endpoint").asText() + "=" + m.get(field).asText()));
        return out;
    }

    private static JsonNode awaitMembers(Management mgmt, List<String> expected) throws InterruptedException {
        JsonNode cluster = mgmt.admin("GET", "/admin/cluster").json();
        for (int i = 0; i < 100 && !rows(cluster, "state").equals(expected); i++) {
            Thread.sleep(100);
            cluster = mgmt.admin("GET", "/admin/cluster").json();
        }
        assertEquals(expected, rows(cluster, "state"), cluster.toString());
        return cluster;
    }

    @Test
    void slicesBecomeTheMemberTableAsTheyChange() throws Exception {
        Management mgmt = new Management(management);
        client.resource(slice("members-a", false, "10.9.0.1", "10.9.0.2")).create();
        JsonNode cluster = awaitMembers(mgmt, List.of("10.9.0.1:8078=READY", "10.9.0.2:8078=READY"));
        assertEquals("kubernetes", cluster.get("discovery").get("mode").asText());
        assertTrue(cluster.get("discovery").get("synced").asBoolean());
        assertEquals(200, mgmt.get("/q/health/ready").status());
        assertEquals("UP", HealthTest.checks(mgmt.get("/q/health/ready").json()).get("cluster").get("status").asText());

        client.resource(slice("members-a", true, "10.9.0.1", "10.9.0.2")).update();
        awaitMembers(mgmt, List.of("10.9.0.1:8078=DRAINING", "10.9.0.2:8078=DRAINING"));

        client.resource(slice("members-a", false, "10.9.0.2")).update();
        awaitMembers(mgmt, List.of("10.9.0.2:8078=READY"));

        client.resource(slice("members-a", false, "10.9.0.2")).delete();
        awaitMembers(mgmt, List.of());
    }
}
