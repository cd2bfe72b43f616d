package org.dapstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every kustomization under {@code k8s/} renders with {@code kubectl kustomize} as a user
 * would apply it ({@code kubectl apply -k DIR}), and what it renders parses as Kubernetes
 * resources: the base, the monitoring resources, and the overlay that combines them.
 * {@link ManifestConsistencyTest} checks what the manifests say; this checks that kustomize
 * can put them together at all (a kustomization that includes its own parent directory, for
 * example, fails with "cycle detected" although every file in it is valid).
 *
 * <p>kubectl is taken from {@code PATH} (or {@code -Dkubectl=/path/to/kubectl}). Without it
 * the test is skipped on a developer machine, and fails under {@code CI=true}: {@code .ci/run}
 * installs Debian's {@code kubernetes-client} where kubectl is missing.
 */
class KustomizeRenderTest {
    static final Path K8S = Path.of("k8s");
    static final Path K8S_README = K8S.resolve("README.md");
    /** How long one {@code kubectl kustomize} may take: it reads local files only. */
    static final long RENDER_TIMEOUT_SECONDS = 60;

    static final Set<String> BASE_KINDS = Set.of("Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
            "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount");
    static final Set<String> MONITORING_KINDS = Set.of("ServiceMonitor", "PrometheusRule", "ConfigMap");

    /** The port member nodes link on ({@code dap.stream.cluster.port}'s default) and its name, which discovery looks up. */
    static final int CLUSTER_PORT = 8078;
    static final String CLUSTER_PORT_NAME = "cluster";

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Path kubectl;

    @BeforeAll
    static void findKubectl() {
        Optional<Path> found = Optional.ofNullable(System.getProperty("kubectl")).map(Path::of).filter(Files::isExecutable)
                .or(() -> onPath("kubectl"));
        if (found.isEmpty()) {
            String why = "kubectl not found on PATH: install it (Debian: apt-get install -y kubernetes-client; .ci/run does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + "; under CI=true the manifests must be rendered, not skipped");
            }
            Assumptions.abort(why);
        }
        kubectl = found.get();
    }

    static Optional<Path> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Optional.of(Path.of(dir, name));
            }
        }
        return Optional.empty();
    }

    /** The directories under k8s/ that hold a kustomization.yaml. */
    static List<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            return files.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .map(Path::getParent).sorted().toList();
        }
    }

    /** {@code kubectl kustomize dir}, parsed: one map per resource. */
    static List<Map<String, Object>> render(Path dir) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile("kustomize", ".err");
        try {
            Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                    .redirectError(stderr.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(RENDER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kubectl kustomize " + dir + " took over " + RENDER_TIMEOUT_SECONDS + " s");
            }
            String errors = Files.readString(stderr);
            assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + " failed:\n" + errors);
            List<Map<String, Object>> resources = new ArrayList<>();
            try (MappingIterator<Map<String, Object>> docs = YAML.readerForMapOf(Object.class)
                    .readValues(new String(out, StandardCharsets.UTF_8))) {
                while (docs.hasNextValue()) {
                    Map<String, Object> doc = docs.nextValue();
                    if (doc != null && !doc.isEmpty()) {
                        resources.add(doc);
                    }
                }
            }
            return resources;
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    static String kind(Map<String, Object> r) {
        return String.valueOf(r.get("kind"));
    }

    static String id(Map<String, Object> r) {
        return kind(r) + "/" + ((Map<?, ?>) r.get("metadata")).get("name");
    }

    @Test
    void everyKustomizationRendersIntoNamedResources() throws Exception {
        List<Path> dirs = kustomizations();
        assertEquals(List.of(K8S.resolve("base"), K8S.resolve("monitoring"), K8S.resolve("with-monitoring")), dirs,
                "the kustomizations k8s/README.md describes");
        for (Path dir : dirs) {
            List<Map<String, Object>> resources = render(dir);
            assertFalse(resources.isEmpty(), dir + " renders nothing");
            for (Map<String, Object> r : resources) {
                assertTrue(r.get("apiVersion") instanceof String && r.get("kind") instanceof String, dir + ": " + r.keySet());
                assertTrue(r.get("metadata") instanceof Map<?, ?> m && m.get("name") instanceof String,
                        dir + ": a " + r.get("kind") + " without a name");
            }
            Set<String> ids = resources.stream().map(KustomizeRenderTest::id).collect(Collectors.toSet());
            assertEquals(resources.size(), ids.size(), dir + " renders a resource twice");
        }
    }

    @Test
    void theOverlayIsExactlyTheBaseAndTheMonitoring() throws Exception {
        List<Map<String, Object>> base = render(K8S.resolve("base"));
        List<Map<String, Object>> monitoring = render(K8S.resolve("monitoring"));
        assertEquals(BASE_KINDS, base.stream().map(KustomizeRenderTest::kind).collect(Collectors.toCollection(TreeSet::new)));
        assertEquals(MONITORING_KINDS, monitoring.stream().map(KustomizeRenderTest::kind).collect(Collectors.toCollection(TreeSet::new)));

        Map<String, Map<String, Object>> expected = new TreeMap<>();
        Stream.concat(base.stream(), monitoring.stream()).forEach(r -> expected.put(id(r), r));
        Map<String, Map<String, Object>> combined = new TreeMap<>();
        render(K8S.resolve("with-monitoring")).forEach(r -> combined.put(id(r), r));
        assertEquals(expected, combined, "k8s/with-monitoring renders k8s/base and k8s/monitoring unchanged");
    }

    @Test
    void theRenderedImageIsTheOneK8sReadmeStates() throws Exception {
        Map<String, Object> deployment = render(K8S.resolve("base")).stream()
                .filter(r -> kind(r).equals("Deployment")).findFirst().orElseThrow();
        String image = String.valueOf(dig(deployment, "spec", "template", "spec", "containers", 0, "image"));
        assertTrue(image.matches("[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+"), "a full image reference with a tag: " + image);
        assertTrue(Files.readString(K8S_README).contains("`" + image + "`"), K8S_README + " states the image reference " + image);
    }

    @Test
    void theRenderedBaseExposesTheClusterPortToMembersOnly() throws Exception {
        List<Map<String, Object>> base = render(K8S.resolve("base"));
        Map<String, Object> deployment = base.stream().filter(r -> kind(r).equals("Deployment")).findFirst().orElseThrow();
        Map<?, ?> container = (Map<?, ?>) dig(deployment, "spec", "template", "spec", "containers", 0);
        assertTrue(((List<?>) container.get("ports")).contains(Map.of("name", CLUSTER_PORT_NAME, "containerPort", CLUSTER_PORT, "protocol", "TCP")),
                "the container's cluster port: " + container.get("ports"));
        Map<String, Object> env = new TreeMap<>();
        for (Object e : (List<?>) container.get("env")) {
            Map<?, ?> var = (Map<?, ?>) e;
            env.put(String.valueOf(var.get("name")), var.containsKey("value") ? var.get("value") : dig(var, "valueFrom", "fieldRef", "fieldPath"));
        }
        assertEquals("kubernetes", env.get("DAP_STREAM_CLUSTER_DISCOVERY"));
        assertEquals("dap-stream-members", env.get("DAP_STREAM_CLUSTER_KUBERNETES_SERVICE"));
        assertEquals("metadata.namespace", env.get("DAP_STREAM_CLUSTER_KUBERNETES_NAMESPACE"));
        assertEquals("status.podIP", env.get("DAP_STREAM_CLUSTER_ADVERTISE_HOST"));

        Map<String, Object> members = base.stream().filter(r -> id(r).equals("Service/dap-stream-members")).findFirst().orElseThrow();
        assertTrue(((List<?>) dig(members, "spec", "ports")).contains(Map.of("name", CLUSTER_PORT_NAME, "port", CLUSTER_PORT,
                "targetPort", CLUSTER_PORT_NAME, "protocol", "TCP")), "the members Service's cluster port: " + dig(members, "spec", "ports"));
        Map<String, Object> clients = base.stream().filter(r -> id(r).equals("Service/dap-stream")).findFirst().orElseThrow();
        assertFalse(String.valueOf(dig(clients, "spec", "ports")).contains(CLUSTER_PORT_NAME), "clients' Service does not expose links");

        Map<String, Object> policy = base.stream().filter(r -> kind(r).equals("NetworkPolicy")).findFirst().orElseThrow();
        Map<?, ?> podLabels = (Map<?, ?>) dig(deployment, "spec", "template", "metadata", "labels");
        boolean clusterFromPodsOnly = false;
        for (Object r : (List<?>) dig(policy, "spec", "ingress")) {
            Map<?, ?> rule = (Map<?, ?>) r;
            if (String.valueOf(rule.get("ports")).contains("port=" + CLUSTER_PORT_NAME)) {
                List<?> from = (List<?>) rule.get("from");
                assertTrue(from != null && from.size() == 1, "the cluster port is opened to a selected peer only: " + rule);
                Map<?, ?> selector = (Map<?, ?>) dig(from.get(0), "podSelector", "matchLabels");
                assertTrue(selector != null && podLabels.entrySet().containsAll(selector.entrySet()) && ((Map<?, ?>) from.get(0)).size() == 1,
                        "the peer is the node pods by label: " + from);
                clusterFromPodsOnly = true;
            }
        }
        assertTrue(clusterFromPodsOnly, "the NetworkPolicy admits links between members: " + dig(policy, "spec", "ingress"));
    }

    @Test
    void theDashboardConfigMapCarriesTheDashboardAndTheSidecarLabel() throws Exception {
        Map<String, Object> configMap = render(K8S.resolve("monitoring")).stream()
                .filter(r -> kind(r).equals("ConfigMap")).findFirst().orElseThrow();
        assertEquals("dap-stream-dashboard", dig(configMap, "metadata", "name"), "a stable name, no hash suffix");
        assertEquals("1", dig(configMap, "metadata", "labels", "grafana_dashboard"));
        String json = String.valueOf(dig(configMap, "data", "dap-stream.json"));
        Map<?, ?> dashboard = new ObjectMapper().readValue(json, Map.class);
        assertFalse(((List<?>) dashboard.get("panels")).isEmpty(), "the dashboard has panels");
    }

    static Object dig(Object node, Object... path) {
        for (Object step : path) {
            if (node == null) {
                return null; // a path that is not there (e.g. an env var from a secretKeyRef, not a fieldRef)
            }
            node = step instanceof Integer i ? ((List<?>) node).get(i) : ((Map<?, ?>) node).get(step);
        }
        return node;
    }
}
