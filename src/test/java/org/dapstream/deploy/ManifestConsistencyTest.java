package org.dapstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.smallrye.config.WithDefault;
import org.dapstream.cluster.kubernetes.KubernetesDiscovery;
import org.dapstream.ops.StreamServerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every manifest under {@code k8s/} (the base in {@code k8s/base}, the Prometheus Operator
 * resources in {@code k8s/monitoring}) parses into fabric8 model objects, and what they say
 * about the application matches the application: ports, probe paths, configuration keys,
 * labels and selectors, Secret mounts, the drain timing, and every metric the alerts and the
 * dashboard use (against the metrics table of docs/OPERATIONS.md). That kustomize renders
 * them is {@link KustomizeRenderTest}'s part.
 */
class ManifestConsistencyTest {
    static final Path K8S = Path.of("k8s");
    static final Path OPERATIONS = Path.of("docs/OPERATIONS.md");
    static final Path APPLICATION_PROPERTIES = Path.of("src/main/resources/application.properties");
    /** SmallRye Health's endpoints under the default non-application root {@code /q}. */
    static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready", "/q/health/started");
    /** Quarkus' defaults for the HTTP and management ports. */
    static final int QUARKUS_HTTP_PORT = 8080;
    static final int QUARKUS_MANAGEMENT_PORT = 9000;
    /** Configuration keys whose value must be a file of the mounted key Secret. */
    static final Set<String> SECRET_KEYS = Set.of("dap.stream.security.cluster.key-file");
    /** Written by the node at start: on a writable volume of the pod, never in the Secret. */
    static final String IDENTITY_KEY = "dap.stream.security.identity.file";
    /**
     * The keys of the node cluster ({@code dap.stream.cluster.*}), listed here until
     * StreamServerConfig carries them; once it does, they must all be among its keys.
     */
    static final Set<String> CLUSTER_KEYS = Set.of("dap.stream.cluster.discovery", "dap.stream.cluster.members",
            "dap.stream.cluster.port", "dap.stream.cluster.advertise-host", "dap.stream.cluster.kubernetes.service",
            "dap.stream.cluster.kubernetes.namespace", "dap.stream.cluster.kubernetes.port-name");
    /** {@code dap.stream.cluster.port}'s default: the port member nodes link on. */
    static final int CLUSTER_PORT = 8078;
    /** The name of the cluster port, which Kubernetes discovery looks up in the members Service's EndpointSlices. */
    static final String CLUSTER_PORT_NAME = KubernetesDiscovery.DEFAULT_PORT_NAME;
    /** Environment read by the container image's launcher, not by the application. */
    static final Set<String> IMAGE_ENV = Set.of("JAVA_OPTS_APPEND");
    /** Series Prometheus makes itself for every target. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up");
    /** Time between SIGKILL's deadline and the drain's worst case, for Quarkus' own shutdown. */
    static final Duration SHUTDOWN_SLACK = Duration.ofSeconds(3);

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static List<HasMetadata> resources;

    @BeforeAll
    static void parseManifests() throws IOException {
        resources = new ArrayList<>();
        for (Path file : manifestFiles()) {
            for (String document : Files.readString(file).split("(?m)^---\\s*$")) {
                if (document.strip().isEmpty() || document.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
                    continue;
                }
                HasMetadata parsed = SERIALIZATION.unmarshal(document);
                assertTrue(parsed.getMetadata() != null && parsed.getMetadata().getName() != null, file + ": a resource without a name");
                resources.add(parsed);
            }
        }
    }

    static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            return files.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted().toList();
        }
    }

    static <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        assertEquals(1, found.size(), "exactly one " + type.getSimpleName());
        return found.get(0);
    }

    static List<GenericKubernetesResource> generic(String kind) {
        return all(GenericKubernetesResource.class).stream().filter(r -> r.getKind().equals(kind)).toList();
    }

    static Container container(Deployment d) {
        List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size(), "one container");
        return containers.get(0);
    }

    // ------------------------------------------------------------------ kustomize

    @Test
    void everyManifestIsListedInAKustomizationAndEveryListedFileExists() throws IOException {
        Set<Path> listed = new TreeSet<>();
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path kustomization : files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList()) {
                Map<?, ?> k = YAML.readValue(kustomization.toFile(), Map.class);
                List<Object> entries = new ArrayList<>();
                // "bases" for directories: the form the kustomize of older kubectl releases reads.
                for (String field : List.of("resources", "bases")) {
                    entries.addAll(Optional.ofNullable((List<?>) k.get(field)).orElse(List.of()));
                }
                assertFalse(entries.isEmpty(), kustomization + " lists nothing");
                for (Object entry : entries) {
                    Path target = kustomization.getParent().resolve(entry.toString()).normalize();
                    assertTrue(Files.exists(target), kustomization + " lists " + entry + ", which does not exist");
                    if (Files.isDirectory(target)) {
                        assertTrue(Files.exists(target.resolve("kustomization.yaml")), kustomization + " lists " + entry
                                + ", a directory without a kustomization.yaml");
                        assertFalse(kustomization.getParent().toAbsolutePath().normalize().startsWith(target.toAbsolutePath()),
                                kustomization + " includes its own parent " + entry + ": kustomize refuses the cycle");
                    }
                    listed.add(target);
                }
                for (Object generator : Optional.ofNullable((List<?>) k.get("configMapGenerator")).orElse(List.of())) {
                    for (Object file : (List<?>) ((Map<?, ?>) generator).get("files")) {
                        String name = file.toString().contains("=") ? file.toString().split("=", 2)[1] : file.toString();
                        assertTrue(Files.exists(kustomization.getParent().resolve(name)), kustomization + " generates from missing " + name);
                    }
                }
            }
        }
        for (Path manifest : manifestFiles()) {
            assertTrue(listed.contains(manifest.normalize()), manifest + " is in no kustomization.yaml");
        }
    }

    @Test
    void theManifestsHaveEveryKindOfADeploymentWithMonitoring() {
        Set<String> kinds = resources.stream().map(HasMetadata::getKind).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of("Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget",
                "PrometheusRule", "Role", "RoleBinding", "Service", "ServiceAccount", "ServiceMonitor")), kinds);
    }

    // ------------------------------------------------------------------ the pod

    @Test
    void containerPortsAreTheApplicationsPorts() throws Exception {
        Container c = container(one(Deployment.class));
        Map<String, Integer> ports = c.getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        Properties props = applicationProperties();
        int streamPort = env(c, "DAP_STREAM_TCP_PORT").map(Integer::parseInt)
                .orElse(Integer.parseInt(defaultOf(StreamServerConfig.Tcp.class, "port")));
        int clusterPort = env(c, envName("dap.stream.cluster.port")).map(Integer::parseInt).orElse(CLUSTER_PORT);
        assertEquals(Map.of(
                "stream", streamPort,
                CLUSTER_PORT_NAME, clusterPort,
                "http", Integer.parseInt(props.getProperty("quarkus.http.port", String.valueOf(QUARKUS_HTTP_PORT))),
                "management", Integer.parseInt(props.getProperty("quarkus.management.port", String.valueOf(QUARKUS_MANAGEMENT_PORT)))),
                ports);
        assertEquals(8079, streamPort, "the documented stream port");
        assertEquals(CLUSTER_PORT, clusterPort, "the documented cluster port");
    }

    @Test
    void probesUseTheHealthEndpointsOnTheManagementPort() throws IOException {
        Container c = container(one(Deployment.class));
        Properties props = applicationProperties();
        assertEquals("q", props.getProperty("quarkus.http.non-application-root-path", "q").replace("/", ""),
                "probes assume the default /q root");
        assertProbe(c.getStartupProbe(), "/q/health/started", "startup");
        assertProbe(c.getReadinessProbe(), "/q/health/ready", "readiness");
        assertProbe(c.getLivenessProbe(), "/q/health/live", "liveness");
    }

    private static void assertProbe(Probe probe, String path, String what) {
        assertTrue(probe != null && probe.getHttpGet() != null, what + " probe is an HTTP GET");
        assertTrue(HEALTH_PATHS.contains(probe.getHttpGet().getPath()), what + " probe path " + probe.getHttpGet().getPath());
        assertEquals(path, probe.getHttpGet().getPath(), what + " probe path");
        assertEquals(new IntOrString("management"), probe.getHttpGet().getPort(), what + " probe port");
    }

    @Test
    void everyEnvironmentVariableIsAConfigurationKeyOfTheApplication() {
        Set<String> keys = configKeys("dap.stream", StreamServerConfig.class);
        if (keys.stream().anyMatch(k -> k.startsWith("dap.stream.cluster."))) {
            assertTrue(keys.containsAll(CLUSTER_KEYS), "StreamServerConfig has cluster keys, but not all the manifests and docs use: "
                    + CLUSTER_KEYS);
        }
        Set<String> known = new TreeSet<>();
        for (String key : keys) {
            known.add(envName(key));
        }
        for (String key : CLUSTER_KEYS) {
            known.add(envName(key));
        }
        known.addAll(IMAGE_ENV);
        for (EnvVar e : container(one(Deployment.class)).getEnv()) {
            assertTrue(known.contains(e.getName()), e.getName() + " is no configuration key of the application; known: " + known);
        }
        // The reflection itself finds the keys docs/OPERATIONS.md documents.
        assertTrue(configKeys("dap.stream", StreamServerConfig.class).containsAll(
                Set.of("dap.stream.tcp.port", "dap.stream.keepalive.timeout", "dap.stream.drain.grace-period", "dap.stream.node-address")));
    }

    @Test
    void theDrainFitsInsideTheTerminationGracePeriod() throws Exception {
        Deployment d = one(Deployment.class);
        Container c = container(d);
        Duration grace = Duration.parse("PT" + env(c, "DAP_STREAM_DRAIN_GRACE_PERIOD")
                .orElse(defaultOf(StreamServerConfig.DrainSettings.class, "gracePeriod")).toUpperCase());
        Duration close = Duration.parse("PT" + env(c, "DAP_STREAM_DRAIN_CLOSE_TIMEOUT")
                .orElse(defaultOf(StreamServerConfig.DrainSettings.class, "closeTimeout")).toUpperCase());
        long termination = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(grace.plus(close).plus(SHUTDOWN_SLACK).getSeconds() <= termination,
                "drain " + grace + " + " + close + " + slack must fit in terminationGracePeriodSeconds " + termination);
    }

    @Test
    void theKeySecretIsMountedWhereTheConfigurationKeysPoint() {
        var pod = one(Deployment.class).getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        Volume keys = pod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow();
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getName().equals(keys.getName())).findFirst().orElseThrow();
        assertTrue(mount.getReadOnly(), "keys are mounted read-only");
        Set<String> files = keys.getSecret().getItems().stream().map(i -> mount.getMountPath() + "/" + i.getPath()).collect(Collectors.toSet());
        for (String key : SECRET_KEYS) {
            String value = env(c, envName(key)).orElseThrow(() -> new AssertionError(key + " is not set"));
            assertTrue(files.contains(value), key + " = " + value + " is not a file of the mounted Secret " + files);
        }
        String identity = env(c, envName(IDENTITY_KEY)).orElseThrow(() -> new AssertionError(IDENTITY_KEY + " is not set"));
        VolumeMount writable = c.getVolumeMounts().stream()
                .filter(m -> identity.startsWith(m.getMountPath() + "/") && !Boolean.TRUE.equals(m.getReadOnly()))
                .findFirst().orElseThrow(() -> new AssertionError(IDENTITY_KEY + " = " + identity + " is on no writable volume"));
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(writable.getName())).findFirst().orElseThrow();
        assertNotNull(volume.getEmptyDir(), "the generated identity lives and dies with the pod (emptyDir)");
    }

    @Test
    void thePodRunsLockedDown() {
        var pod = one(Deployment.class).getSpec().getTemplate().getSpec();
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        var sc = container(one(Deployment.class)).getSecurityContext();
        assertTrue(sc.getReadOnlyRootFilesystem());
        assertFalse(sc.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        var resources = container(one(Deployment.class)).getResources();
        assertFalse(resources.getRequests().isEmpty() || resources.getLimits().isEmpty(), "requests and limits");
        assertFalse(pod.getTopologySpreadConstraints().isEmpty(), "spread across nodes");
    }

    // ------------------------------------------------------------------ cross-references

    @Test
    void servicesSelectThePodsAndTargetItsPorts() {
        Deployment d = one(Deployment.class);
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()), "Deployment selector");
        Set<String> portNames = container(d).getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());
        List<Service> services = all(Service.class);
        assertEquals(2, services.size());
        for (Service s : services) {
            assertTrue(podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet()), s.getMetadata().getName() + " selects no pod");
            for (ServicePort p : s.getSpec().getPorts()) {
                assertTrue(portNames.contains(p.getTargetPort().getStrVal()), s.getMetadata().getName() + " targets " + p.getTargetPort());
            }
        }
        Service members = services.stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).findFirst()
                .orElseThrow(() -> new AssertionError("no headless members Service"));
        assertTrue(members.getSpec().getPublishNotReadyAddresses(), "members are published before they are ready");
    }

    @Test
    void membersAreFoundThroughTheMembersServiceAndLinkOnItsClusterPort() {
        Container c = container(one(Deployment.class));
        ContainerPort containerPort = c.getPorts().stream().filter(p -> CLUSTER_PORT_NAME.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("the container exposes no port named " + CLUSTER_PORT_NAME));
        Service members = all(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).findFirst().orElseThrow();
        ServicePort servicePort = members.getSpec().getPorts().stream().filter(p -> CLUSTER_PORT_NAME.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("the members Service has no port named " + CLUSTER_PORT_NAME
                        + ": Kubernetes discovery finds no member endpoint"));
        assertEquals(containerPort.getContainerPort(), servicePort.getPort(), "EndpointSlices carry the Service port's number");
        assertEquals(new IntOrString(CLUSTER_PORT_NAME), servicePort.getTargetPort());
        assertEquals("TCP", servicePort.getProtocol());

        assertEquals(Optional.of("kubernetes"), env(c, envName("dap.stream.cluster.discovery")));
        assertEquals(Optional.of(members.getMetadata().getName()), env(c, envName("dap.stream.cluster.kubernetes.service")));
        assertEquals(KubernetesDiscovery.DEFAULT_SERVICE, members.getMetadata().getName(), "the default of dap.stream.cluster.kubernetes.service");
        assertEquals("metadata.namespace", fieldRef(c, envName("dap.stream.cluster.kubernetes.namespace")),
                "the pod's own namespace, from the downward API");
        assertEquals("status.podIP", fieldRef(c, envName("dap.stream.cluster.advertise-host")),
                "members dial the pod IP, the address of its EndpointSlice entry");
    }

    @Test
    void onlyThePodsOfTheDeploymentMayReachTheClusterPort() {
        Map<String, String> podLabels = one(Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
        NetworkPolicy np = one(NetworkPolicy.class);
        var rules = np.getSpec().getIngress().stream()
                .filter(r -> r.getPorts().stream().anyMatch(p -> CLUSTER_PORT_NAME.equals(p.getPort().getStrVal()))).toList();
        assertEquals(1, rules.size(), "one ingress rule opens the cluster port");
        var rule = rules.get(0);
        assertEquals(1, rule.getPorts().size(), "the rule opens the cluster port alone");
        assertEquals(1, rule.getFrom().size(), "from one peer: " + rule.getFrom());
        var peer = rule.getFrom().get(0);
        assertTrue(peer.getNamespaceSelector() == null && peer.getIpBlock() == null, "pods of this namespace only: " + peer);
        assertNotNull(peer.getPodSelector(), "from pods selected by label");
        assertTrue(podLabels.entrySet().containsAll(peer.getPodSelector().getMatchLabels().entrySet())
                && peer.getPodSelector().getMatchLabels().containsKey("app.kubernetes.io/component"),
                "the node pods, and not every pod of the app: " + peer.getPodSelector());
        assertTrue(np.getSpec().getIngress().stream().anyMatch(r -> (r.getFrom() == null || r.getFrom().isEmpty())
                && r.getPorts().stream().anyMatch(p -> "stream".equals(p.getPort().getStrVal()))), "streams stay open to clients");
    }

    @Test
    void rbacGrantsOnlyEndpointSliceReadsToTheServiceAccountThePodsUse() {
        Role role = one(Role.class);
        assertEquals(1, role.getRules().size());
        PolicyRule rule = role.getRules().get(0);
        assertEquals(List.of("discovery.k8s.io"), rule.getApiGroups());
        assertEquals(List.of("endpointslices"), rule.getResources());
        assertEquals(Set.of("get", "list", "watch"), Set.copyOf(rule.getVerbs()));
        RoleBinding binding = one(RoleBinding.class);
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        String account = one(ServiceAccount.class).getMetadata().getName();
        assertEquals(account, binding.getSubjects().get(0).getName());
        assertEquals(account, one(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName());
    }

    @Test
    void disruptionBudgetAutoscalerAndNetworkPolicyPointAtTheDeployment() {
        Deployment d = one(Deployment.class);
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        PodDisruptionBudget pdb = one(PodDisruptionBudget.class);
        assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()), "PDB selector");
        HorizontalPodAutoscaler hpa = one(HorizontalPodAutoscaler.class);
        assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
        assertEquals(d.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
        assertTrue(hpa.getSpec().getMinReplicas() >= 2, "at least two replicas, so a drain always has somewhere to send clients");
        NetworkPolicy np = one(NetworkPolicy.class);
        assertTrue(podLabels.entrySet().containsAll(np.getSpec().getPodSelector().getMatchLabels().entrySet()), "NetworkPolicy selector");
        Set<String> portNames = container(d).getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());
        np.getSpec().getIngress().forEach(rule -> rule.getPorts().stream().map(NetworkPolicyPort::getPort)
                .forEach(p -> assertTrue(portNames.contains(p.getStrVal()), "NetworkPolicy opens unknown port " + p)));
    }

    @Test
    void theServiceMonitorScrapesAServicePortThatExists() {
        GenericKubernetesResource monitor = generic("ServiceMonitor").get(0);
        Map<String, Object> spec = map(monitor.getAdditionalProperties().get("spec"));
        Map<String, Object> match = map(map(spec.get("selector")).get("matchLabels"));
        List<Service> selected = all(Service.class).stream()
                .filter(s -> s.getMetadata().getLabels().entrySet().containsAll(match.entrySet())).toList();
        assertEquals(1, selected.size(), "the ServiceMonitor selects one Service");
        Set<String> servicePorts = selected.get(0).getSpec().getPorts().stream().map(ServicePort::getName).collect(Collectors.toSet());
        for (Object endpoint : (List<?>) spec.get("endpoints")) {
            Map<String, Object> e = map(endpoint);
            assertTrue(servicePorts.contains(e.get("port")), "ServiceMonitor port " + e.get("port") + " not on " + servicePorts);
            assertEquals("/q/metrics", e.get("path"));
        }
    }

    @Test
    void alertsAndDashboardUseOnlyMetricsTheApplicationExports() throws IOException {
        Set<String> exported = exportedMetrics();
        List<String> expressions = new ArrayList<>();
        for (GenericKubernetesResource rule : generic("PrometheusRule")) {
            for (Object group : (List<?>) map(rule.getAdditionalProperties().get("spec")).get("groups")) {
                for (Object r : (List<?>) map(group).get("rules")) {
                    expressions.add(map(r).get("expr").toString());
                }
            }
        }
        assertTrue(expressions.size() >= 4, "alerts for error rate, handshakes, keepalive timeouts, no members");
        Map<?, ?> dashboard = new ObjectMapper().readValue(K8S.resolve("monitoring/dashboard.json").toFile(), Map.class);
        int dashboardExpressions = 0;
        for (Object panel : (List<?>) dashboard.get("panels")) {
            for (Object target : (List<?>) ((Map<?, ?>) panel).get("targets")) {
                expressions.add(((Map<?, ?>) target).get("expr").toString());
                dashboardExpressions++;
            }
        }
        assertTrue(dashboardExpressions > 10);
        Set<String> used = new TreeSet<>();
        for (String expr : expressions) {
            used.addAll(metricNames(expr));
        }
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(exported);
        assertEquals(Set.of(), unknown, "metrics used by alerts/dashboard but not exported (docs/OPERATIONS.md)");
        Set<String> neverShown = new TreeSet<>(exported.stream().filter(m -> m.startsWith("dap_stream_")
                && !m.endsWith("_sum") && !m.endsWith("_count")).toList());
        neverShown.removeAll(used);
        assertEquals(Set.of(), neverShown, "exported metrics the dashboard never shows");
    }

    /** Metric names in a PromQL expression: identifiers followed by a selector, a range, or used bare. */
    static Set<String> metricNames(String expr) {
        String withoutLabels = expr.replaceAll("\\{[^}]*}", "{}").replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\[[^]]*]", "[]") // ranges, with Grafana's $__rate_interval
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " "); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\b(?!\\s*\\()").matcher(withoutLabels);
        Set<String> keywords = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "le", "namespace", "pod", "code", "outcome", "role", "type", "job", "offset");
        while (m.find()) {
            String name = m.group(1);
            if (!keywords.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    @Test
    void theMetricNameParserFindsMetricsAndSkipsFunctionsAndLabels() {
        assertEquals(Set.of("dap_stream_round_trip_seconds_bucket"),
                metricNames("histogram_quantile(0.99, sum by (le) (rate(dap_stream_round_trip_seconds_bucket{pod=~\"a\"}[5m])))"));
        assertEquals(Set.of("up", "dap_stream_draining"), metricNames("count(up{job=\"x\"} == 1) == count(dap_stream_draining == 1)"));
        assertTrue(metricNames("rate(dap_stream_nonexistent_total[5m])").contains("dap_stream_nonexistent_total"));
    }

    /** The metrics table of docs/OPERATIONS.md, with histogram series, plus Prometheus' own. */
    static Set<String> exportedMetrics() throws IOException {
        Set<String> out = new TreeSet<>(PROMETHEUS_SERIES);
        Pattern row = Pattern.compile("^\\| `(dap_stream_[a-z0-9_]+)` \\| (gauge|counter|histogram) \\|");
        for (String line : Files.readAllLines(OPERATIONS, StandardCharsets.UTF_8)) {
            Matcher m = row.matcher(line);
            if (m.find()) {
                String name = m.group(1);
                if (m.group(2).equals("histogram")) {
                    out.addAll(List.of(name + "_bucket", name + "_sum", name + "_count"));
                } else {
                    out.add(name);
                }
            }
        }
        assertTrue(out.size() > 15, "docs/OPERATIONS.md lists the metrics");
        return out;
    }

    // ------------------------------------------------------------------ helpers

    static Optional<String> env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst();
    }

    /** The downward-API field an environment variable is taken from, or null. */
    static String fieldRef(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom() == null || e.getValueFrom().getFieldRef() == null ? null : e.getValueFrom().getFieldRef().getFieldPath())
                .orElse(null);
    }

    static String envName(String key) {
        return key.toUpperCase().replaceAll("[^A-Z0-9]", "_");
    }

    /** The keys of a {@code @ConfigMapping} interface: method names in kebab case, nested groups recursively. */
    static Set<String> configKeys(String prefix, Class<?> mapping) {
        Set<String> keys = new TreeSet<>();
        for (Method m : mapping.getDeclaredMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String key = prefix + "." + m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == StreamServerConfig.class) {
                keys.addAll(configKeys(key, type));
            } else {
                keys.add(key);
            }
        }
        return keys;
    }

    static String defaultOf(Class<?> group, String method) throws NoSuchMethodException {
        return group.getMethod(method).getAnnotation(WithDefault.class).value();
    }

    static Properties applicationProperties() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(APPLICATION_PROPERTIES)) {
            p.load(r);
        }
        return p;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
