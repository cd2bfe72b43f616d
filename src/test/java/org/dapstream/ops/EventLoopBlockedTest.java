package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.util.concurrent.EventExecutor;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A deliberately blocked event loop turns liveness DOWN (the %test threshold is 1 s), naming
 * the loop; it comes back UP once the loop runs again. The loop that serves the probe's own
 * connection cannot answer while blocked, so the test blocks loops in turn until the probe
 * gets through on another one.
 */
@QuarkusTest
public class EventLoopBlockedTest {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    Vertx vertx;

    @Test
    void aBlockedLoopTurnsLivenessDownAndBackUp() throws Exception {
        Management mgmt = new Management(management);
        List<EventExecutor> loops = new ArrayList<>();
        vertx.nettyEventLoopGroup().forEach(loops::add);
        assertTrue(loops.size() >= 2, "the test needs a second loop to answer the probe");
        for (EventExecutor loop : loops) {
            CountDownLatch release = new CountDownLatch(1);
            String[] blockedThread = new String[1];
            CountDownLatch blocking = new CountDownLatch(1);
            loop.execute(() -> {
                blockedThread[0] = Thread.currentThread().getName();
                blocking.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS); // deliberately blocking the loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertTrue(blocking.await(5, TimeUnit.SECONDS));
                JsonNode down = awaitLiveness(mgmt, 503);
                if (down == null) {
                    continue; // this loop serves the probe's connection: try the next one
                }
                JsonNode check = HealthTest.checks(down).get("event-loops");
                assertEquals("DOWN", check.get("status").asText());
                String error = check.get("data").get("error").asText();
                assertTrue(error.startsWith("1 event loop(s) blocked; " + blockedThread[0] + " has not run a task for "), error);
                assertTrue(error.endsWith(" ms (threshold 1000 ms)"), error);
            } finally {
                release.countDown();
            }
            assertEquals("UP", awaitLiveness(mgmt, 200).get("status").asText(), "UP again once the loop runs");
            return;
        }
        fail("no blocked loop could be observed from another loop");
    }

    /** Polls liveness until it answers {@code status}; null when the probe itself cannot get an answer. */
    private static JsonNode awaitLiveness(Management mgmt, int status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                Management.Answer a = mgmt.getFresh("/q/health/live", PROBE_TIMEOUT);
                if (a.status() == status) {
                    return a.json();
                }
            } catch (HttpTimeoutException e) {
                return null;
            } catch (IOException e) {
                // connection refused or reset while the loop is stuck: try again
            }
            Thread.sleep(100);
        }
        fail("liveness never answered " + status);
        return null;
    }
}
