package org.dapstream.cluster.kubernetes;

import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.impl.DefaultSharedIndexInformer;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import org.dapstream.cluster.DiscoveredMember;
import org.dapstream.cluster.Discovery;
import org.dapstream.cluster.DiscoveryListener;
import org.dapstream.cluster.DiscoveryStatus;
import org.dapstream.cluster.MemberEndpoint;
import org.dapstream.cluster.MemberState;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds the member nodes through the Kubernetes API: a fabric8 informer on the EndpointSlices
 * of the headless members Service (label {@code kubernetes.io/service-name}). The informer
 * lists once, then watches from the list's resource version; when the API server has
 * forgotten that version (410 Gone) it lists again by itself. Nothing here lists per lookup
 * and there is no resync period: the member set is computed from the informer's cache after
 * each event, and the listener is told only when it changed.
 *
 * <p>Endpoint conditions map to member states as the EndpointSlice v1 API defines them:
 * {@code terminating} and {@code serving} (or serving unknown) is DRAINING, {@code terminating}
 * and not serving is gone; otherwise {@code ready} (a missing {@code ready} means ready) is
 * READY and not ready is gone. The same endpoint in two slices counts once, READY first.
 *
 * <p>A failing LIST or watch is never a silent lone node: the status carries the reason and
 * the fix (a 403 names the RBAC to grant), the informer keeps retrying with its back-off, and
 * the status returns to healthy when a watch is established again. Discovery logs only its
 * own problems (once per change of problem) and their recovery; member joins and leaves are
 * the listener's to log.
 */
public final class KubernetesDiscovery implements Discovery {
    public static final String NAMESPACE_KEY = "dap.stream.cluster.kubernetes.namespace";
    public static final String SERVICE_KEY = "dap.stream.cluster.kubernetes.service";
    public static final String PORT_NAME_KEY = "dap.stream.cluster.kubernetes.port-name";
    public static final String DEFAULT_SERVICE = "dap-stream-members";
    public static final String DEFAULT_PORT_NAME = "cluster";
    /** The label the EndpointSlice controller puts on every slice of a Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    /** Where Kubernetes mounts the namespace of the pod's service account. */
    public static final Path SERVICE_ACCOUNT_NAMESPACE_FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
    /** The manifest granting what discovery needs, named in the fix of a 403. */
    static final String ROLE_MANIFEST = "k8s/base/role.yaml";
    /** No periodic resync: every member change arrives as a watch event; a resync would only redo work. */
    static final long NO_RESYNC = 0;
    /** How long {@link #close()} waits for a listener call in progress, so none happens after it returns. */
    static final long CLOSE_WAIT_SECONDS = 5;

    private static final System.Logger LOG = System.getLogger(KubernetesDiscovery.class.getName());

    /**
     * What Kubernetes discovery watches.
     *
     * @param namespace the namespace of the members Service ({@value #NAMESPACE_KEY}; see {@link #namespaceOf})
     * @param service   the headless members Service ({@value #SERVICE_KEY}, default {@value #DEFAULT_SERVICE})
     * @param portName  the name of the cluster port in that Service ({@value #PORT_NAME_KEY}, default {@value #DEFAULT_PORT_NAME})
     */
    public record Settings(String namespace, String service, String portName) {
        public Settings {
            requireText(namespace, NAMESPACE_KEY);
            requireText(service, SERVICE_KEY);
            requireText(portName, PORT_NAME_KEY);
        }

        private static void requireText(String value, String key) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(key + " must not be blank");
            }
        }
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final ThreadPoolExecutor thread;
    private volatile Thread discoveryThread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean missingPortWarned = new AtomicBoolean();
    private final AtomicLong watchStarts = new AtomicLong();
    private final AtomicLong watchRestarts = new AtomicLong();
    private volatile boolean closed;
    private volatile DiscoveryStatus status = new DiscoveryStatus(false, null, null, 0);
    private volatile SharedIndexInformer<EndpointSlice> informer;
    private DiscoveryListener listener;
    /** The member set last told to the listener; only touched on the discovery thread. */
    private List<DiscoveredMember> told;

    public KubernetesDiscovery(KubernetesClient client, Settings settings) {
        if (client == null || settings == null) {
            throw new IllegalArgumentException("Kubernetes discovery needs a client and its settings");
        }
        this.client = client;
        this.settings = settings;
        // One thread for the informer's event handling and every listener call, in order. After
        // close, whatever the informer still hands over is dropped (DiscardPolicy).
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "dap-stream-kubernetes-discovery");
            t.setDaemon(true);
            discoveryThread = t;
            return t;
        }, new ThreadPoolExecutor.DiscardPolicy());
    }

    /**
     * The namespace to watch: {@code configured} when set, else the pod's service-account
     * namespace, else the client's namespace (kubeconfig).
     *
     * @throws IllegalArgumentException naming {@value #NAMESPACE_KEY} when none is known
     */
    public static String namespaceOf(Optional<String> configured, KubernetesClient client) {
        return namespaceOf(configured, SERVICE_ACCOUNT_NAMESPACE_FILE, client);
    }

    static String namespaceOf(Optional<String> configured, Path serviceAccountFile, KubernetesClient client) {
        if (configured.isPresent() && !configured.get().isBlank()) {
            return configured.get().trim();
        }
        try {
            if (Files.isReadable(serviceAccountFile)) {
                String fromFile = Files.readString(serviceAccountFile, StandardCharsets.UTF_8).trim();
                if (!fromFile.isEmpty()) {
                    return fromFile;
                }
            }
        } catch (IOException e) {
            // fall through to the client's namespace
        }
        String fromClient = client == null ? null : client.getNamespace();
        if (fromClient != null && !fromClient.isBlank()) {
            return fromClient.trim();
        }
        throw new IllegalArgumentException("set " + NAMESPACE_KEY + ": no namespace configured, none in " + serviceAccountFile
                + " (not in a pod?) and none in the Kubernetes client's configuration");
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void start(DiscoveryListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("a listener is required");
        }
        if (closed || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("Kubernetes discovery starts once, before close");
        }
        this.listener = listener;
        FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>> slices = client.discovery().v1()
                .endpointSlices().inNamespace(settings.namespace()).withLabel(SERVICE_NAME_LABEL, settings.service());
        SharedIndexInformer<EndpointSlice> created;
        if (slices instanceof ListerWatcher<?, ?>) {
            @SuppressWarnings("unchecked")
            ListerWatcher<EndpointSlice, EndpointSliceList> lister = (ListerWatcher<EndpointSlice, EndpointSliceList>) slices;
            created = new DefaultSharedIndexInformer<>(EndpointSlice.class, new CountingListerWatcher(lister), NO_RESYNC, thread);
        } else {
            // Another client implementation: the same informer, without counting its watch restarts.
            created = slices.runnableInformer(NO_RESYNC);
        }
        created.exceptionHandler((isStarted, t) -> {
            if (closed) {
                return false;
            }
            thread.execute(() -> failed(t));
            return true; // keep retrying with the informer's back-off: RBAC or the network may be fixed
        });
        created.addEventHandler(new ResourceEventHandler<EndpointSlice>() {
            @Override
            public void onNothing() {
                membersChanged();
            }

            @Override
            public void onAdd(EndpointSlice slice) {
                membersChanged();
            }

            @Override
            public void onUpdate(EndpointSlice before, EndpointSlice after) {
                membersChanged();
            }

            @Override
            public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
                membersChanged();
            }
        });
        this.informer = created;
        created.start().whenComplete((v, t) -> {
            if (t == null) {
                thread.execute(this::watching);
            }
        });
    }

    @Override
    public DiscoveryStatus status() {
        return status;
    }

    @Override
    public String mode() {
        return "kubernetes";
    }

    @Override
    public void close() {
        closed = true;
        SharedIndexInformer<EndpointSlice> i = informer;
        if (i != null) {
            i.stop();
        }
        thread.shutdownNow();
        if (Thread.currentThread() != discoveryThread) { // a listener closing discovery must not wait for itself
            try {
                thread.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ on the discovery thread

    private void membersChanged() {
        SharedIndexInformer<EndpointSlice> i = informer;
        if (closed || i == null) {
            return;
        }
        List<DiscoveredMember> now = members(i.getStore().list());
        if (!now.equals(told)) {
            told = now;
            listener.members(now);
        }
    }

    /** A LIST and a watch succeeded: the member set is known, and any problem is over. */
    private void watching() {
        SharedIndexInformer<EndpointSlice> i = informer;
        if (closed || i == null || !i.hasSynced()) {
            return;
        }
        membersChanged(); // at least once when synced, even before any event
        DiscoveryStatus previous = status;
        if (previous.problem() != null) {
            LOG.log(System.Logger.Level.INFO, "Kubernetes discovery recovered: watching the EndpointSlices of service "
                    + settings.service() + " in namespace " + settings.namespace() + " again");
        }
        update(DiscoveryStatus.ok(watchRestarts.get()));
    }

    private void failed(Throwable t) {
        if (closed) {
            return;
        }
        Problem p = problemOf(t, settings, masterUrl());
        SharedIndexInformer<EndpointSlice> i = informer;
        boolean synced = i != null && i.hasSynced();
        if (!p.text().equals(status.problem())) {
            LOG.log(System.Logger.Level.WARNING, "Kubernetes discovery: " + p.text() + (synced ? " (keeping the last known members)" : "")
                    + ". Fix: " + p.fix() + ". Retrying.");
        }
        update(new DiscoveryStatus(synced, p.text(), p.fix(), watchRestarts.get()));
    }

    private void update(DiscoveryStatus next) {
        if (closed || next.equals(status)) {
            return;
        }
        status = next;
        listener.status(next);
    }

    private String masterUrl() {
        Config config = client.getConfiguration();
        return config == null ? null : config.getMasterUrl();
    }

    // ------------------------------------------------------------------ mapping

    /** The member set the slices say, one per endpoint, sorted by endpoint. */
    List<DiscoveredMember> members(Collection<EndpointSlice> slices) {
        TreeMap<MemberEndpoint, DiscoveredMember> found = new TreeMap<>();
        for (EndpointSlice slice : slices) {
            Integer port = clusterPort(slice);
            if (port == null || port < 1 || port > 65535 || slice.getEndpoints() == null) {
                continue; // the API server validates ports; a slice it let through with a bad one lists no member
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                MemberState state = stateOf(endpoint.getConditions());
                if (state == null || endpoint.getAddresses() == null) {
                    continue;
                }
                for (String address : endpoint.getAddresses()) {
                    if (address == null || address.isBlank()) {
                        continue;
                    }
                    MemberEndpoint at = new MemberEndpoint(address, port);
                    String name = endpoint.getTargetRef() != null && endpoint.getTargetRef().getName() != null
                            ? endpoint.getTargetRef().getName() : address;
                    DiscoveredMember member = new DiscoveredMember(at, state, name);
                    // While slices churn one endpoint can be in two of them: READY wins over DRAINING.
                    found.merge(at, member, (a, b) -> a.state() == MemberState.READY ? a : b);
                }
            }
        }
        return List.copyOf(found.values());
    }

    private Integer clusterPort(EndpointSlice slice) {
        if (slice.getPorts() != null) {
            for (EndpointPort p : slice.getPorts()) {
                if (settings.portName().equals(p.getName()) && p.getPort() != null) {
                    return p.getPort();
                }
            }
        }
        if (missingPortWarned.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "EndpointSlice " + slice.getMetadata().getName() + " of service " + settings.service()
                    + " has no port named '" + settings.portName() + "' (" + PORT_NAME_KEY + "): its endpoints are not members."
                    + " Name the cluster port of the members Service '" + settings.portName() + "', or set " + PORT_NAME_KEY);
        }
        return null;
    }

    /** An endpoint's member state per the EndpointSlice v1 conditions, or null when it is no member. */
    static MemberState stateOf(EndpointConditions c) {
        Boolean ready = c == null ? null : c.getReady();
        Boolean serving = c == null ? null : c.getServing();
        Boolean terminating = c == null ? null : c.getTerminating();
        if (Boolean.TRUE.equals(terminating)) {
            return Boolean.FALSE.equals(serving) ? null : MemberState.DRAINING;
        }
        return Boolean.FALSE.equals(ready) ? null : MemberState.READY;
    }

    // ------------------------------------------------------------------ problems

    /** What went wrong, in words an operator can act on, and what to do. */
    record Problem(String text, String fix) {
    }

    static Problem problemOf(Throwable t, Settings settings, String masterUrl) {
        String what = "list/watch endpointslices in namespace " + settings.namespace();
        String rbac = "grant the pod's service account a Role with apiGroups [discovery.k8s.io], resources [endpointslices],"
                + " verbs [get, list, watch] in namespace " + settings.namespace() + " and a RoleBinding to it ("
                + ROLE_MANIFEST + "); check with: kubectl auth can-i list endpointslices -n " + settings.namespace()
                + " --as=system:serviceaccount:" + settings.namespace() + ":<service account>";
        int code = 0;
        String message = null;
        boolean io = false;
        for (Throwable c = t; c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() > 0 && code == 0) {
                code = k.getCode();
                message = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage();
            }
            if (c instanceof IOException) {
                io = true;
                if (message == null) {
                    message = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
                }
            }
        }
        String server = masterUrl == null ? "the Kubernetes API server" : "the Kubernetes API server at " + masterUrl;
        if (code == 403) {
            return new Problem("the service account may not " + what + " (403 Forbidden)", rbac);
        }
        if (code == 401) {
            return new Problem(server + " rejected the credentials (401 Unauthorized) to " + what,
                    "mount the service account token (automountServiceAccountToken: true) or fix the client's credentials");
        }
        if (code == 404) {
            return new Problem(server + " does not serve discovery.k8s.io/v1 endpointslices (404 Not Found)",
                    "run on Kubernetes 1.21 or later, or use static discovery (dap.stream.cluster.discovery=static)");
        }
        if (code > 0) {
            return new Problem(server + " answered " + code + " to " + what + (message == null ? "" : ": " + message),
                    "check the API server's health and its audit log for this request; discovery retries by itself");
        }
        if (io) {
            return new Problem(server + " is unreachable (" + message + ")",
                    "check that the pod reaches the API server (KUBERNETES_SERVICE_HOST/PORT, DNS, egress NetworkPolicy)"
                            + " and that the API server is up; discovery retries by itself");
        }
        String text = t == null ? "unknown" : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return new Problem("could not " + what + " (" + text + ")",
                "check the node's log for the cause and the API server's health; discovery retries by itself");
    }

    // ------------------------------------------------------------------ watch restarts

    /**
     * The informer's lister and watcher, counting each watch it starts after the first: every
     * one follows a LIST again (410 Gone, or an error the informer retries).
     */
    private final class CountingListerWatcher implements ListerWatcher<EndpointSlice, EndpointSliceList> {
        private final ListerWatcher<EndpointSlice, EndpointSliceList> api;

        CountingListerWatcher(ListerWatcher<EndpointSlice, EndpointSliceList> api) {
            this.api = api;
        }

        @Override
        public CompletableFuture<AbstractWatchManager<EndpointSlice>> submitWatch(ListOptions params, Watcher<EndpointSlice> watcher) {
            if (watchStarts.getAndIncrement() > 0) {
                watchRestarts.incrementAndGet();
            }
            CompletableFuture<AbstractWatchManager<EndpointSlice>> watch = api.submitWatch(params, watcher);
            watch.whenComplete((w, t) -> {
                if (t == null && !closed) {
                    thread.execute(KubernetesDiscovery.this::watching);
                }
            });
            return watch;
        }

        @Override
        public CompletableFuture<EndpointSliceList> submitList(ListOptions listOptions) {
            return api.submitList(listOptions);
        }

        @Override
        public Long getLimit() {
            return api.getLimit();
        }

        @Override
        public int getWatchReconnectInterval() {
            return api.getWatchReconnectInterval();
        }

        @Override
        public String getApiEndpointPath() {
            return api.getApiEndpointPath();
        }

        @Override
        public Config getConfig() {
            return api.getConfig();
        }
    }

}
