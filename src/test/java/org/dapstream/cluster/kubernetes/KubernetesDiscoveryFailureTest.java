package org.dapstream.cluster.kubernetes;

import static org.dapstream.cluster.MemberState.READY;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.NS;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.SERVICE;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.await;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.members;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.ready;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceListBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.dapstream.cluster.DiscoveryStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Kubernetes discovery when the API fails: the mock API server in expectations mode answers
 * exactly what each test scripts (403 Forbidden, a watch ending in 410 Gone), and a client
 * pointed at a closed port stands for an unreachable API server.
 */
class KubernetesDiscoveryFailureTest {
    static final String COLLECTION = "/apis/discovery.k8s.io/v1/namespaces/" + NS + "/endpointslices";
    static final String SELECTOR = "labelSelector=kubernetes.io%2Fservice-name%3D" + SERVICE;
    /** The informer's first LIST may be served from the API server's cache (resourceVersion=0). */
    static final String FIRST_LIST = COLLECTION + "?" + SELECTOR + "&resourceVersion=0";
    /** A LIST after the informer has synced once: the newest state. */
    static final String RELIST = COLLECTION + "?" + SELECTOR;
    /** How long the scripted watch waits before it sends its ERROR event. */
    static final long WATCH_ERROR_DELAY_MILLIS = 200;

    KubernetesMockServer server;
    KubernetesClient client;
    KubernetesDiscovery discovery;
    final DiscoveryRecorder recorder = new DiscoveryRecorder();
    final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    final Logger log = Logger.getLogger(KubernetesDiscovery.class.getName());
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void startServer() throws Exception {
        server = new KubernetesMockServer(false);
        server.init(InetAddress.getByName("127.0.0.1"), 0);
        client = server.createClient();
        log.addHandler(capture);
    }

    @AfterEach
    void stop() {
        log.removeHandler(capture);
        if (discovery != null) {
            discovery.close();
        }
        client.close();
        server.destroy();
    }

    static String watchAt(String resourceVersion) {
        return COLLECTION + "?allowWatchBookmarks=true&" + SELECTOR + "&resourceVersion=" + resourceVersion + "&timeoutSeconds=600&watch=true";
    }

    static Object list(String resourceVersion, EndpointSlice... slices) {
        return new EndpointSliceListBuilder().withMetadata(new ListMetaBuilder().withResourceVersion(resourceVersion).build()).withItems(slices).build();
    }

    static Status status(int code, String reason, String message) {
        return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build();
    }

    KubernetesDiscovery start(KubernetesClient c) {
        discovery = new KubernetesDiscovery(c, new KubernetesDiscovery.Settings(NS, SERVICE, KubernetesDiscovery.DEFAULT_PORT_NAME));
        discovery.start(recorder);
        return discovery;
    }

    long warnings() {
        return logged.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).count();
    }

    @Test
    void forbiddenIsAFailedStatusNamingTheRbacToGrantAndTheInformerRecoversWhenGranted() {
        Status forbidden = status(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:"
                + NS + ":default\" cannot list resource \"endpointslices\" in API group \"discovery.k8s.io\" in the namespace \"" + NS + "\"");
        // Two refusals (the informer retries with its back-off), then the Role has been granted.
        server.expect().get().withPath(FIRST_LIST).andReturn(403, forbidden).times(2);
        server.expect().get().withPath(FIRST_LIST).andReturn(200, list("7", slice("members-a", ready("10.0.0.1", "dap-stream-0")))).once();
        server.expect().get().withPath(watchAt("7")).andUpgradeToWebSocket().open().done().always();

        start(client);
        await(() -> recorder.lastStatus() != null, () -> "the listener is told the failure");
        DiscoveryStatus failed = recorder.lastStatus();
        assertFalse(failed.synced(), "not synced: " + failed);
        assertFalse(failed.healthy());
        assertTrue(failed.problem().contains("403"), failed.problem());
        assertTrue(failed.problem().contains("namespace " + NS), failed.problem());
        for (String word : List.of("endpointslices", "list", "watch", "discovery.k8s.io", "Role", "k8s/base/role.yaml")) {
            assertTrue(failed.fix().contains(word), "the fix names " + word + ": " + failed.fix());
        }
        assertEquals(failed, discovery.status());
        assertTrue(recorder.memberSets.isEmpty(), "no member set, least of all a lone node, while forbidden");

        recorder.awaitMembers(members("10.0.0.1", READY));
        await(() -> discovery.status().healthy(), () -> "healthy again, status " + discovery.status());
        assertTrue(recorder.lastStatus().healthy(), "the listener is told the recovery");
        assertEquals(2, recorder.statuses.size(), "failed once (not per retry), then ok: " + recorder.statuses);
        assertEquals(1, warnings(), "one warning for the problem, none per retry");
        assertTrue(logged.stream().anyMatch(r -> r.getLevel().intValue() == Level.INFO.intValue() && r.getMessage().contains("recovered")), "recovery logged");
    }

    @Test
    void goneDuringTheWatchRelistsAndTheMembersAreRightAfterwards() {
        server.expect().get().withPath(FIRST_LIST)
                .andReturn(200, list("10", slice("members-a", ready("10.0.0.1", "dap-stream-0"), ready("10.0.0.2", "dap-stream-1")))).once();
        // The watch from version 10 ends: that history is compacted away.
        server.expect().get().withPath(watchAt("10")).andUpgradeToWebSocket().open()
                .waitFor(WATCH_ERROR_DELAY_MILLIS).andEmit(new WatchEvent(status(410, "Expired", "too old resource version: 10 (42)"), "ERROR"))
                .done().once();
        // The relist shows what happened meanwhile: dap-stream-1 left, dap-stream-2 joined.
        server.expect().get().withPath(RELIST)
                .andReturn(200, list("42", slice("members-a", ready("10.0.0.1", "dap-stream-0"), ready("10.0.0.3", "dap-stream-2")))).once();
        server.expect().get().withPath(watchAt("42")).andUpgradeToWebSocket().open().done().always();

        start(client);
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.3", READY));
        await(() -> discovery.status().watchRestarts() > 0, () -> "a watch restart counted, status " + discovery.status());
        DiscoveryStatus after = discovery.status();
        assertTrue(after.healthy(), after.toString());
        assertEquals(1, after.watchRestarts(), after.toString());
        assertEquals(after, recorder.lastStatus(), "the listener is told the restart count");
        assertEquals(0, warnings(), "410 is routine: no warning");
    }

    @Test
    void anUnreachableApiServerIsAFailedStatusWithTheReasonAndAFix() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + closedPort).withNamespace(NS).withRequestRetryBackoffLimit(0).build()).build()) {
            start(unreachable);
            await(() -> recorder.lastStatus() != null, () -> "the listener is told the failure");
            DiscoveryStatus failed = discovery.status();
            assertFalse(failed.synced());
            assertNotNull(failed.problem());
            assertTrue(failed.problem().contains("unreachable") && failed.problem().contains("127.0.0.1:" + closedPort), failed.problem());
            assertTrue(failed.fix().contains("API server"), failed.fix());
            assertTrue(recorder.memberSets.isEmpty());
            discovery.close();
            discovery = null;
        }
    }
}
