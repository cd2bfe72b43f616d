package org.dapstream.client;

import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Stream;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The seed's connection pooling: one live stream per node, reused by every caller. A stream
 * that ends, or whose peer says it is going away (GOAWAY), leaves the pool, and the next
 * request dials again. Concurrent requests for the
 * same node share one dial. Thread-safe.
 */
public final class StreamPool implements AutoCloseable {
    private final StreamClient client;
    private final Map<String, CompletableFuture<Stream>> byEndpoint = new ConcurrentHashMap<>();
    private final Map<NodeAddress, Stream> byNode = new ConcurrentHashMap<>();

    public StreamPool(StreamClient client) {
        this.client = client;
    }

    /** The pooled stream to {@code host:port}, dialling when there is none or it has ended. */
    public CompletableFuture<Stream> stream(String host, int port) {
        String key = host + ":" + port;
        return byEndpoint.compute(key, (k, existing) -> {
            if (existing != null && !(existing.isDone() && (existing.isCompletedExceptionally() || !reusable(existing.join())))) {
                return existing;
            }
            // The caller's future completes only after the stream is indexed by node.
            CompletableFuture<Stream> dial = new CompletableFuture<>();
            client.connect(host, port).whenComplete((s, e) -> {
                if (e != null) {
                    byEndpoint.remove(k, dial);
                    dial.completeExceptionally(e);
                    return;
                }
                byNode.put(s.node(), s);
                // A stream whose peer is going away is not handed out again: its holders
                // finish with it, the next request dials (through a Service, another replica).
                s.goingAway().thenRun(() -> {
                    byEndpoint.remove(k, dial);
                    byNode.remove(s.node(), s);
                });
                s.closed().whenComplete((r, x) -> {
                    byEndpoint.remove(k, dial);
                    byNode.remove(s.node(), s);
                });
                dial.complete(s);
            });
            return dial;
        });
    }

    /** The live pooled stream whose peer has {@code node} as its address, if any. */
    public Optional<Stream> byNode(NodeAddress node) {
        Stream s = byNode.get(node);
        return s != null && reusable(s) ? Optional.of(s) : Optional.empty();
    }

    private static boolean reusable(Stream s) {
        return s.active() && !s.goingAway().isDone();
    }

    /** Streams in the pool, live or dialling. */
    public int size() {
        return byEndpoint.size();
    }

    /** Closes every pooled stream in order (CLOSE to each peer). */
    @Override
    public void close() {
        for (CompletableFuture<Stream> f : byEndpoint.values()) {
            f.thenAccept(Stream::close);
        }
        byEndpoint.clear();
        byNode.clear();
    }
}
