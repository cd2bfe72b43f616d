package org.dapstream.cluster.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.dapstream.cluster.DiscoveredMember;
import org.dapstream.cluster.DiscoveryListener;
import org.dapstream.cluster.DiscoveryStatus;
import org.dapstream.cluster.MemberEndpoint;
import org.dapstream.cluster.MemberState;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Records what Kubernetes discovery tells its listener, and builds the EndpointSlices the tests feed it. */
final class DiscoveryRecorder implements DiscoveryListener {
    static final String NS = "streams";
    static final String SERVICE = "dap-stream-members";
    static final int CLUSTER_PORT = 8078;
    /** How long a test waits for the informer to see a change: mock server and informer are local and fast. */
    static final Duration PATIENCE = Duration.ofSeconds(15);
    static final long POLL_MILLIS = 20;

    final List<List<DiscoveredMember>> memberSets = new CopyOnWriteArrayList<>();
    final List<DiscoveryStatus> statuses = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void members(Collection<DiscoveredMember> members) {
        threads.add(Thread.currentThread().getName());
        memberSets.add(List.copyOf(members));
    }

    @Override
    public void status(DiscoveryStatus status) {
        threads.add(Thread.currentThread().getName());
        statuses.add(status);
    }

    /** The last member set told, as endpoint text → state; empty before the first. */
    Map<String, MemberState> last() {
        Map<String, MemberState> out = new TreeMap<>();
        if (!memberSets.isEmpty()) {
            memberSets.get(memberSets.size() - 1).forEach(m -> out.put(m.endpoint().toString(), m.state()));
        }
        return out;
    }

    DiscoveryStatus lastStatus() {
        return statuses.isEmpty() ? null : statuses.get(statuses.size() - 1);
    }

    /** Waits until the last member set told is {@code expected}. */
    void awaitMembers(Map<String, MemberState> expected) {
        await(() -> last().equals(expected), () -> "members " + expected + ", last told " + last() + " of " + memberSets.size());
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + PATIENCE.toSeconds() + " s for: " + what.get());
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what.get());
            }
        }
    }

    static Map<String, MemberState> members(Object... endpointAndState) {
        Map<String, MemberState> out = new TreeMap<>();
        for (int i = 0; i < endpointAndState.length; i += 2) {
            out.put(new MemberEndpoint((String) endpointAndState[i], CLUSTER_PORT).toString(), (MemberState) endpointAndState[i + 1]);
        }
        return out;
    }

    /** An endpoint of a pod; null conditions are left out, as the API server leaves unknown ones out. */
    static Endpoint endpoint(String ip, String pod, Boolean ready, Boolean serving, Boolean terminating) {
        EndpointBuilder b = new EndpointBuilder().withAddresses(ip).withNewConditions().withReady(ready).withServing(serving)
                .withTerminating(terminating).endConditions();
        if (pod != null) {
            b.withNewTargetRef().withKind("Pod").withNamespace(NS).withName(pod).endTargetRef();
        }
        return b.build();
    }

    static Endpoint ready(String ip, String pod) {
        return endpoint(ip, pod, true, true, false);
    }

    static EndpointSlice slice(String name, String service, String portName, Endpoint... endpoints) {
        return new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels(KubernetesDiscovery.SERVICE_NAME_LABEL, service).endMetadata()
                .withAddressType("IPv4")
                .withPorts(new EndpointPortBuilder().withName("stream").withPort(8079).withProtocol("TCP").build(),
                        new EndpointPortBuilder().withName(portName).withPort(CLUSTER_PORT).withProtocol("TCP").build())
                .withEndpoints(endpoints).build();
    }

    static EndpointSlice slice(String name, Endpoint... endpoints) {
        return slice(name, SERVICE, KubernetesDiscovery.DEFAULT_PORT_NAME, endpoints);
    }
}
