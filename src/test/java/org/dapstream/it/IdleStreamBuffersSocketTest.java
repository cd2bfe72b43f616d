package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * After a split 60 KB frame and a COMPRESSED frame, an idle secure stream gives back its
 * gathering and decompression buffers: the server's heap per idle stream stays small. The
 * clients run in a JVM of their own ({@link IdleClients}), so this JVM's heap is the server's.
 */
class IdleStreamBuffersSocketTest {
    static final int STREAMS = 100;
    /** The target: heap per idle secure stream after traffic. */
    static final long MAX_HEAP_PER_STREAM = 16 * 1024;
    /** Long enough for several keepalive ticks with no traffic (a tick is a quarter of the 1 s interval). */
    static final long IDLE_MILLIS = 2_000;
    static final long READY_TIMEOUT_SECONDS = 120;

    @Test
    @Timeout(240)
    void idleStreamsKeepNoFrameSizedBuffers() throws Exception {
        // The raw clients send no keepalives: a long timeout keeps their idle streams open.
        StreamConfig config = StreamConfig.defaults().withKeepAlive(StreamConfig.DEFAULT_KEEPALIVE_INTERVAL, Duration.ofMinutes(5));
        try (LoopbackServer server = LoopbackServer.start(config, ChannelRegistry.withDiagnostics())) {
            // Warm up: classes, pools and caches the first stream creates are not per-stream cost.
            IdleClients.traffic(server.port(), -1).close();
            Thread.sleep(IDLE_MILLIS);
            long before = heapAfterGc();

            String javaBin = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process clients = new ProcessBuilder(javaBin, "-Xmx256m", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-cp", System.getProperty("java.class.path"),
                    IdleClients.class.getName(), String.valueOf(server.port()), String.valueOf(STREAMS))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                java.util.concurrent.CompletableFuture<String> ready = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (java.io.IOException e) {
                        return "failed: " + e;
                    }
                });
                assertEquals("ready", ready.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "the clients set up their streams");

                Thread.sleep(IDLE_MILLIS);
                List<Stream> streams = server.counters().liveStreams();
                assertEquals(STREAMS, streams.size(), "every client stream is open and idle");
                long after = heapAfterGc();
                long perStream = (after - before) / STREAMS;
                long retained = streams.stream().mapToLong(Stream::retainedBufferBytes).max().orElse(-1);
                System.out.printf("[idle-buffers] %d idle secure streams after a split 60 KB frame and a COMPRESSED frame each:"
                        + " server heap %+d bytes, %d bytes per stream; largest frame buffer kept by a stream: %d bytes%n",
                        STREAMS, after - before, perStream, retained);
                assertEquals(0, retained, "idle streams keep no gathering, inflating or compressing buffer");
                assertTrue(perStream <= MAX_HEAP_PER_STREAM, "heap per idle stream " + perStream + " bytes, over " + MAX_HEAP_PER_STREAM);
            } finally {
                clients.getOutputStream().close(); // the clients close their streams and exit
                if (!clients.waitFor(30, TimeUnit.SECONDS)) {
                    clients.destroyForcibly();
                }
            }
        }
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
