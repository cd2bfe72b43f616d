package org.dapstream.ops;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.dapstream.cluster.NodeCluster;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.transport.Admission;
import org.dapstream.transport.StreamServer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The graceful drain on SIGTERM: readiness goes DOWN ({@link DrainState}), the
 * stream endpoint refuses new connections, every peer is sent GOAWAY with the grace period,
 * and shutdown waits until the peers have closed their streams or the grace period (plus the
 * close timeout) is over; only then does {@link StreamEndpoint} stop the server.
 *
 * <p>Where it runs: Quarkus' shutdown first calls its shutdown listeners' pre-shutdown step,
 * which (with {@code quarkus.shutdown.delay-enabled=true}, set in application.properties)
 * fires {@link ShutdownDelayInitiatedEvent} synchronously, then sleeps the optional
 * {@code quarkus.shutdown.delay}, then shuts the HTTP servers down, and only then fires
 * {@link ShutdownEvent}. The drain runs inside the first step, blocking it, so the health
 * and metrics endpoints still answer (readiness DOWN) for the whole drain, and it ends as
 * soon as the peers have left instead of after a fixed delay. The ShutdownEvent observer is
 * the fallback for a build with the delay switch off.
 */
@ApplicationScoped
public class ShutdownDrain {
    private static final System.Logger LOG = System.getLogger(ShutdownDrain.class.getName());
    /** Slack on top of grace + close timeout before shutdown stops waiting for the drain's own timers. */
    static final Duration TIMER_SLACK = Duration.ofSeconds(1);
    /** How often a drain looks whether its sessions have all been taken over by other members. */
    static final Duration HAND_OVER_POLL = Duration.ofMillis(20);

    private final DrainState state;
    private final StreamEndpoint endpoint;
    private final StreamServerConfig config;
    private final ClusterEndpoint cluster;
    private volatile CompletableFuture<Admission.DrainOutcome> running;

    public ShutdownDrain(DrainState state, StreamEndpoint endpoint, StreamServerConfig config, ClusterEndpoint cluster) {
        this.state = state;
        this.endpoint = endpoint;
        this.config = config;
        this.cluster = cluster;
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        begin();
        awaitEnd();
    }

    /** Before {@link StreamEndpoint}'s own ShutdownEvent observer, which stops the server. */
    void onShutdown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        begin();
        awaitEnd();
    }

    /**
     * Begins the drain (once; later calls return the drain under way). Public so an operator
     * action (admin API) can drain a node without stopping it.
     */
    public synchronized CompletableFuture<Admission.DrainOutcome> begin() {
        if (running != null) {
            return running;
        }
        state.begin();
        StreamServer server = endpoint.server();
        if (server == null) {
            running = CompletableFuture.completedFuture(new Admission.DrainOutcome(0, 0, 0, 0));
            return running;
        }
        StreamServerConfig.DrainSettings drain = config.drain();
        NodeCluster members = cluster.cluster();
        String alternate = drain.alternate().orElse("");
        Function<Stream, String> alternates = s -> "";
        Map<String, Long> ready = Map.of();
        if (!alternate.isEmpty()) {
            String fixed = alternate;
            alternates = s -> fixed;
        } else if (members != null) {
            ready = members.readyEndpoints(); // the ready members, as their links last told
            alternates = new DrainAlternates(ready);
        }
        if (members != null) {
            members.tellLinks(); // the other members hear DRAINING now, not at the next load interval
        }
        LOG.log(System.Logger.Level.INFO, "draining: refusing new streams, GOAWAY to " + server.streams().size()
                + " streams, grace period " + drain.gracePeriod().toMillis() + " ms"
                + (!alternate.isEmpty() ? ", alternate " + alternate : ready.isEmpty() ? "" : ", spread over " + ready.keySet()));
        CompletableFuture<Admission.DrainOutcome> streamsGone = server.drain(drain.gracePeriod(), drain.closeTimeout(), alternates);
        Sessions sessions = endpoint.sessions();
        if (members != null && sessions.handOver() != null) {
            // The peers left to resume elsewhere: their sessions wait here until the members they went to take them over.
            long deadline = System.nanoTime() + drain.gracePeriod().toNanos();
            streamsGone = streamsGone.thenCompose(o -> handedOver(sessions, deadline).thenApply(unused -> o));
        }
        running = streamsGone;
        running.thenAccept(o -> LOG.log(System.Logger.Level.INFO, "drained: " + o.streamsAtStart() + " streams, "
                + o.closedByPeers() + " closed by their peers, " + o.closedAtGrace() + " closed at the grace period, "
                + o.aborted() + " ended without an answer"));
        return running;
    }

    /** Completes once no session here waits to be taken over by another member, or at {@code deadline} (nanoTime). */
    private static CompletableFuture<Void> handedOver(Sessions sessions, long deadline) {
        if (sessions.suspendedCount() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (System.nanoTime() - deadline > 0) {
            LOG.log(System.Logger.Level.WARNING, sessions.suspendedCount() + " sessions were not taken over by another member "
                    + "within the grace period; they end with this node");
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(HAND_OVER_POLL.toMillis(), TimeUnit.MILLISECONDS))
                .thenCompose(unused -> handedOver(sessions, deadline));
    }

    private void awaitEnd() {
        StreamServerConfig.DrainSettings drain = config.drain();
        long bound = drain.gracePeriod().plus(drain.closeTimeout()).plus(TIMER_SLACK).toMillis();
        try {
            running.get(bound, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "drain did not end within " + bound + " ms; stopping anyway");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "drain failed; stopping anyway", e);
        }
    }
}
