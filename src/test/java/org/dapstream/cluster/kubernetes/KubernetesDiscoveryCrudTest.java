package org.dapstream.cluster.kubernetes;

import static org.dapstream.cluster.MemberState.DRAINING;
import static org.dapstream.cluster.MemberState.READY;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.NS;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.SERVICE;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.await;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.endpoint;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.members;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.ready;
import static org.dapstream.cluster.kubernetes.DiscoveryRecorder.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.dapstream.cluster.DiscoveredMember;
import org.dapstream.cluster.DiscoveryStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Kubernetes discovery against the fabric8 mock API server in CRUD mode: the tests create,
 * change and delete EndpointSlices through the API as the EndpointSlice controller would, and
 * check the member sets discovery reports and the requests it makes.
 */
class KubernetesDiscoveryCrudTest {
    /** A quiet period long enough for a LIST-per-lookup or a resync to show up in the request log. */
    static final long STEADY_STATE_MILLIS = 2000;

    KubernetesMockServer server;
    KubernetesClient client;
    KubernetesDiscovery discovery;
    DiscoveryRecorder recorder = new DiscoveryRecorder();

    @BeforeEach
    void startServer() throws Exception {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getByName("127.0.0.1"), 0);
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        if (discovery != null) {
            discovery.close();
        }
        client.close();
        server.destroy();
    }

    void startDiscovery() {
        discovery = new KubernetesDiscovery(client, new KubernetesDiscovery.Settings(NS, SERVICE, KubernetesDiscovery.DEFAULT_PORT_NAME));
        discovery.start(recorder);
        await(() -> discovery.status().healthy(), () -> "synced, status " + discovery.status());
    }

    void put(EndpointSlice slice) {
        client.discovery().v1().endpointSlices().inNamespace(slice.getMetadata().getNamespace()).resource(slice).createOr(op -> op.update());
    }

    void delete(String name) {
        client.discovery().v1().endpointSlices().inNamespace(NS).withName(name).delete();
    }

    @Test
    void slicesThatExistAtStartAreReportedOnceSyncedAndPodNamesNameTheMembers() {
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0"), ready("10.0.0.2", "dap-stream-1")));
        startDiscovery();
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));
        List<DiscoveredMember> told = recorder.memberSets.get(recorder.memberSets.size() - 1);
        assertEquals(List.of("dap-stream-0", "dap-stream-1"), told.stream().map(DiscoveredMember::name).toList());
        DiscoveryStatus status = discovery.status();
        assertTrue(status.synced());
        assertNull(status.problem());
        assertEquals(0, status.watchRestarts());
        assertEquals(status, recorder.lastStatus(), "the listener was told the status");
        assertEquals("kubernetes", discovery.mode());
        assertTrue(recorder.threads.stream().allMatch("dap-stream-kubernetes-discovery"::equals), "listener calls on discovery's thread: " + recorder.threads);
    }

    @Test
    void noSlicesIsAnEmptyMemberSetToldOnceSynced() {
        startDiscovery();
        await(() -> !recorder.memberSets.isEmpty(), () -> "a member set, even an empty one");
        assertEquals(Map.of(), recorder.last());
    }

    @Test
    void slicesCreatedChangedAndDeletedAreFollowed() {
        startDiscovery();
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        recorder.awaitMembers(members("10.0.0.1", READY));

        put(slice("members-a", ready("10.0.0.1", "dap-stream-0"), ready("10.0.0.2", "dap-stream-1")));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));

        // not ready: gone
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0"), endpoint("10.0.0.2", "dap-stream-1", false, false, false)));
        recorder.awaitMembers(members("10.0.0.1", READY));

        // terminating but still serving: draining
        put(slice("members-a", endpoint("10.0.0.1", "dap-stream-0", false, true, true)));
        recorder.awaitMembers(members("10.0.0.1", DRAINING));

        // terminating and no longer serving: gone
        put(slice("members-a", endpoint("10.0.0.1", "dap-stream-0", false, false, true)));
        recorder.awaitMembers(members());

        // no conditions at all: ready, as the API defines a missing ready
        put(slice("members-a", endpoint("10.0.0.3", "dap-stream-2", null, null, null)));
        recorder.awaitMembers(members("10.0.0.3", READY));

        delete("members-a");
        recorder.awaitMembers(members());
        assertTrue(discovery.status().healthy());
    }

    @Test
    void aMemberSetIsToldOnlyWhenItChanges() {
        startDiscovery();
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        recorder.awaitMembers(members("10.0.0.1", READY));
        int told = recorder.memberSets.size();
        // A change to the slice that changes no member (a label): an update event, the same member set.
        EndpointSlice relabelled = slice("members-a", ready("10.0.0.1", "dap-stream-0"));
        relabelled.getMetadata().getLabels().put("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
        put(relabelled);
        put(slice("members-b", ready("10.0.0.2", "dap-stream-1")));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));
        assertEquals(told + 1, recorder.memberSets.size(), "only the change was told: " + recorder.memberSets);
    }

    @Test
    void slicesOfOtherServicesAreIgnored() {
        startDiscovery();
        put(slice("other-a", "dap-stream", KubernetesDiscovery.DEFAULT_PORT_NAME, ready("10.0.9.1", "client-facing")));
        put(slice("elsewhere", "another-app", KubernetesDiscovery.DEFAULT_PORT_NAME, ready("10.0.9.2", "another-0")));
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        recorder.awaitMembers(members("10.0.0.1", READY));
        assertTrue(recorder.memberSets.stream().flatMap(List::stream).noneMatch(m -> m.endpoint().host().startsWith("10.0.9.")),
                "no member from another service was ever told: " + recorder.memberSets);
    }

    @Test
    void aSliceWithoutTheClusterPortContributesNothing() {
        startDiscovery();
        put(slice("members-old", SERVICE, "not-the-cluster-port", ready("10.0.0.7", "dap-stream-old")));
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        recorder.awaitMembers(members("10.0.0.1", READY));
        assertTrue(recorder.memberSets.stream().flatMap(List::stream).noneMatch(m -> m.endpoint().host().equals("10.0.0.7")),
                "the slice without the cluster port gave no member: " + recorder.memberSets);
    }

    @Test
    void twoSlicesOfOneServiceAreOneMemberSetAndAnEndpointInBothCountsOnceReadyFirst() {
        startDiscovery();
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        put(slice("members-b", ready("10.0.0.2", "dap-stream-1")));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));
        // During churn 10.0.0.2 shows up in both slices, draining in one and ready in the other.
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0"), endpoint("10.0.0.2", "dap-stream-1", false, true, true)));
        put(slice("members-c", ready("10.0.0.3", "dap-stream-2")));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY, "10.0.0.3", READY));
        assertEquals(3, recorder.memberSets.get(recorder.memberSets.size() - 1).size());
        delete("members-b");
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", DRAINING, "10.0.0.3", READY));
    }

    @Test
    void oneListThenOneWatchAndNoRequestsInSteadyState() throws Exception {
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        while (server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
            // drop the test's own request
        }
        startDiscovery();
        recorder.awaitMembers(members("10.0.0.1", READY));
        List<RecordedRequest> startup = drain();
        assertEquals(2, startup.size(), "one LIST and one WATCH: " + paths(startup));
        assertFalse(startup.get(0).getPath().contains("watch=true"), "first the LIST: " + startup.get(0).getPath());
        assertTrue(startup.get(1).getPath().contains("watch=true"), "then the WATCH: " + startup.get(1).getPath());
        for (RecordedRequest r : startup) {
            assertEquals("GET", r.getMethod());
            assertTrue(r.getPath().startsWith("/apis/discovery.k8s.io/v1/namespaces/" + NS + "/endpointslices?"), r.getPath());
            assertTrue(r.getPath().contains("labelSelector=kubernetes.io%2Fservice-name%3D" + SERVICE), r.getPath());
        }

        int before = server.getRequestCount();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STEADY_STATE_MILLIS);
        while (System.nanoTime() < end) {
            // Lookups in steady state read discovery's state, never the API.
            assertTrue(discovery.status().healthy());
            Thread.sleep(DiscoveryRecorder.POLL_MILLIS);
        }
        assertEquals(before, server.getRequestCount(), "requests in " + STEADY_STATE_MILLIS + " ms of steady state: " + paths(drain()));

        // A change arrives over the open watch, still without another request by discovery.
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0"), ready("10.0.0.2", "dap-stream-1")));
        recorder.awaitMembers(members("10.0.0.1", READY, "10.0.0.2", READY));
        List<String> after = paths(drain());
        assertTrue(after.stream().noneMatch(p -> p.contains("/endpointslices?")), "no LIST or WATCH for the change: " + after);
        assertTrue(after.stream().allMatch(p -> p.contains("/endpointslices/members-a") || p.startsWith("POST ")),
                "only the test's own create-or-update: " + after);
    }

    @Test
    void closeStopsTheInformerAndTheListenerHearsNothingMore() throws InterruptedException {
        startDiscovery();
        put(slice("members-a", ready("10.0.0.1", "dap-stream-0")));
        recorder.awaitMembers(members("10.0.0.1", READY));
        discovery.close();
        int told = recorder.memberSets.size();
        put(slice("members-b", ready("10.0.0.2", "dap-stream-1")));
        // Nothing to poll for: the absence of a call is the assertion, after a bounded wait.
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (System.nanoTime() < end) {
            assertEquals(told, recorder.memberSets.size(), "a member set told after close");
            Thread.sleep(DiscoveryRecorder.POLL_MILLIS);
        }
    }

    List<RecordedRequest> drain() throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        for (RecordedRequest r; (r = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null; ) {
            out.add(r);
        }
        return out;
    }

    static List<String> paths(List<RecordedRequest> requests) {
        return requests.stream().map(r -> r.getMethod() + " " + r.getPath()).toList();
    }
}
