package org.dapstream.ops.health;

import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Posts a no-op heartbeat task to every Vert.x event loop at a fixed rate, from a thread of
 * its own, and remembers since when each loop has left its heartbeat waiting. A loop that
 * is blocked (or drowning in work) leaves it waiting; reading that takes no lock and waits
 * for nothing, so the liveness check built on it can never block itself.
 */
@ApplicationScoped
public class EventLoopHeartbeat {
    private static final System.Logger LOG = System.getLogger(EventLoopHeartbeat.class.getName());
    /** Marks a loop with no heartbeat waiting. */
    private static final long NONE = Long.MIN_VALUE;

    private volatile EventExecutor[] loops = new EventExecutor[0];
    private volatile AtomicLongArray waitingSince = new AtomicLongArray(0);
    private volatile AtomicReferenceArray<String> threadNames = new AtomicReferenceArray<>(0);
    private ScheduledExecutorService timer;

    /** One loop whose heartbeat has been waiting. */
    public record Stall(String loop, Duration waited) {
    }

    void onStart(@Observes StartupEvent event, Vertx vertx, HealthConfig config) {
        List<EventExecutor> found = new ArrayList<>();
        vertx.nettyEventLoopGroup().forEach(found::add);
        EventExecutor[] all = found.toArray(new EventExecutor[0]);
        AtomicLongArray since = new AtomicLongArray(all.length);
        AtomicReferenceArray<String> names = new AtomicReferenceArray<>(all.length);
        for (int i = 0; i < all.length; i++) {
            since.set(i, NONE);
            names.set(i, "event loop " + i);
        }
        waitingSince = since;
        threadNames = names;
        loops = all;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dap-event-loop-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, config.eventLoopHeartbeat().toMillis());
        timer.scheduleAtFixedRate(this::beat, 0, period, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.DEBUG, "heartbeat every " + period + " ms on " + all.length + " event loops");
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void beat() {
        EventExecutor[] all = loops;
        AtomicLongArray since = waitingSince;
        long now = System.nanoTime();
        for (int i = 0; i < all.length; i++) {
            // One heartbeat per loop at a time: while one waits, the loop is as late as its first.
            if (since.compareAndSet(i, NONE, now)) {
                int loop = i;
                try {
                    all[i].execute(() -> {
                        threadNames.lazySet(loop, Thread.currentThread().getName());
                        since.set(loop, NONE);
                    });
                } catch (RejectedExecutionException e) {
                    since.set(i, NONE); // the loop is shutting down with the application
                }
            }
        }
    }

    /** The loops whose heartbeat has been waiting longer than {@code threshold}, longest first. */
    public List<Stall> stalledLongerThan(Duration threshold) {
        AtomicLongArray since = waitingSince;
        long now = System.nanoTime();
        List<Stall> out = new ArrayList<>();
        for (int i = 0; i < since.length(); i++) {
            long posted = since.get(i);
            if (posted != NONE && now - posted > threshold.toNanos()) {
                out.add(new Stall(threadNames.get(i), Duration.ofNanos(now - posted)));
            }
        }
        out.sort((a, b) -> b.waited().compareTo(a.waited()));
        return out;
    }

    /** How many event loops are watched. */
    public int loops() {
        return loops.length;
    }
}
