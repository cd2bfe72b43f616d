package org.dapstream.cluster.kubernetes;

import static org.dapstream.cluster.MemberState.DRAINING;
import static org.dapstream.cluster.MemberState.READY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Settings, the namespace choice, the condition table and the wording of problems, without an API server. */
class KubernetesDiscoverySettingsTest {
    static final KubernetesDiscovery.Settings SETTINGS = new KubernetesDiscovery.Settings("streams", "dap-stream-members", "cluster");

    @Test
    void blankSettingsNameTheirConfigurationKey() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new KubernetesDiscovery.Settings(" ", "s", "p"))
                .getMessage().contains("dap.stream.cluster.kubernetes.namespace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new KubernetesDiscovery.Settings("n", null, "p"))
                .getMessage().contains("dap.stream.cluster.kubernetes.service"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new KubernetesDiscovery.Settings("n", "s", ""))
                .getMessage().contains("dap.stream.cluster.kubernetes.port-name"));
        assertEquals("dap-stream-members", KubernetesDiscovery.DEFAULT_SERVICE);
        assertEquals("cluster", KubernetesDiscovery.DEFAULT_PORT_NAME);
    }

    @Test
    void theNamespaceIsConfiguredElseThePodsElseTheClients(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("namespace");
        Path missing = dir.resolve("absent");
        try (KubernetesClient withNamespace = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").withNamespace("from-client").build())
                .build();
             KubernetesClient without = new KubernetesClientBuilder()
                     .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1").withNamespace(null).build())
                     .build()) {
            Files.writeString(file, "from-pod\n");
            assertEquals("configured", KubernetesDiscovery.namespaceOf(Optional.of("configured"), file, withNamespace));
            assertEquals("from-pod", KubernetesDiscovery.namespaceOf(Optional.empty(), file, withNamespace));
            assertEquals("from-pod", KubernetesDiscovery.namespaceOf(Optional.of("  "), file, withNamespace));
            assertEquals("from-client", KubernetesDiscovery.namespaceOf(Optional.empty(), missing, withNamespace));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KubernetesDiscovery.namespaceOf(Optional.empty(), missing, without));
            assertTrue(e.getMessage().contains("dap.stream.cluster.kubernetes.namespace"), e.getMessage());
        }
        assertEquals(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace"), KubernetesDiscovery.SERVICE_ACCOUNT_NAMESPACE_FILE);
    }

    static EndpointConditions conditions(Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointConditions(ready, serving, terminating);
    }

    @Test
    void conditionsMapAsTheEndpointSliceApiDefinesThem() {
        assertEquals(READY, KubernetesDiscovery.stateOf(conditions(true, true, false)));
        assertEquals(READY, KubernetesDiscovery.stateOf(conditions(null, null, null)), "a missing ready means ready");
        assertEquals(READY, KubernetesDiscovery.stateOf(null), "no conditions at all: ready");
        assertNull(KubernetesDiscovery.stateOf(conditions(false, false, false)), "not ready: no member");
        assertNull(KubernetesDiscovery.stateOf(conditions(false, true, false)), "serving but not ready (not terminating): no member");
        assertEquals(DRAINING, KubernetesDiscovery.stateOf(conditions(false, true, true)));
        assertEquals(DRAINING, KubernetesDiscovery.stateOf(conditions(true, true, true)),
                "publishNotReadyAddresses keeps ready true while terminating: still draining");
        assertEquals(DRAINING, KubernetesDiscovery.stateOf(conditions(false, null, true)), "terminating, serving unknown: draining");
        assertNull(KubernetesDiscovery.stateOf(conditions(false, false, true)), "terminating and not serving: gone");
        assertNull(KubernetesDiscovery.stateOf(conditions(true, false, true)), "terminating and not serving: gone");
    }

    @Test
    void problemsSayWhatIsWrongAndWhatToDo() {
        KubernetesDiscovery.Problem forbidden = KubernetesDiscovery.problemOf(
                new KubernetesClientException("Failure executing: GET", 403, null), SETTINGS, "https://10.96.0.1:443/");
        assertEquals("the service account may not list/watch endpointslices in namespace streams (403 Forbidden)", forbidden.text());
        assertTrue(forbidden.fix().contains("verbs [get, list, watch]") && forbidden.fix().contains("kubectl auth can-i list endpointslices"),
                forbidden.fix());

        KubernetesDiscovery.Problem refused = KubernetesDiscovery.problemOf(
                new KubernetesClientException("request failed", new ConnectException("Connection refused")), SETTINGS, "https://10.96.0.1:443/");
        assertTrue(refused.text().contains("https://10.96.0.1:443/ is unreachable (ConnectException: Connection refused)"), refused.text());

        KubernetesDiscovery.Problem unauthorized = KubernetesDiscovery.problemOf(
                new KubernetesClientException("Unauthorized", 401, null), SETTINGS, null);
        assertTrue(unauthorized.text().contains("401") && unauthorized.fix().contains("automountServiceAccountToken"), unauthorized.toString());

        KubernetesDiscovery.Problem notServed = KubernetesDiscovery.problemOf(
                new KubernetesClientException("Not Found", 404, null), SETTINGS, null);
        assertTrue(notServed.text().contains("discovery.k8s.io/v1") && notServed.fix().contains("static"), notServed.toString());

        KubernetesDiscovery.Problem other = KubernetesDiscovery.problemOf(new IllegalStateException("odd"), SETTINGS, null);
        assertTrue(other.text().contains("IllegalStateException: odd"), other.text());
    }
}
