package org.dapstream.bench;

import io.vertx.core.Context;
import org.dapstream.client.ClusterChannel;
import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member session of a broadcast run: counts what it receives, checks that the
 * publisher's sequence numbers arrive in order and once, adds up the gap notices, and while
 * the window is open records publish-to-delivery latency from the send time the publisher
 * put in the first 8 bytes (both in this JVM, so one clock). Called on its stream's loop.
 */
final class BroadcastMember implements ClusterChannel.Listener {
    /** No message seen yet. */
    private static final long NO_SEQ = -1;

    final int node;
    private final Context context;
    private final LatencyRecorder latency = new LatencyRecorder();
    /** Messages received, published for the main thread and the publisher's in-flight window. */
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong gapMissed = new AtomicLong();
    private final AtomicLong gapNotices = new AtomicLong();
    /** A sequence number at or below one already seen: a duplicate or a reordering. */
    private final AtomicLong outOfOrder = new AtomicLong();
    /** Sequence numbers jumped over (what gap notices should account for). */
    private final AtomicLong skipped = new AtomicLong();
    /** Messages that should not arrive here: balanced ones, or refusals from the node. */
    private final AtomicLong unexpected = new AtomicLong();
    private volatile boolean recording;
    private long count;
    private long lastSeq = NO_SEQ;

    BroadcastMember(int node, Context context) {
        this.node = node;
        this.context = context;
    }

    Context context() {
        return context;
    }

    @Override
    public void message(String cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced) {
        if (balanced) {
            unexpected.incrementAndGet();
            return;
        }
        if (lastSeq != NO_SEQ) {
            if (seq <= lastSeq) {
                outOfOrder.incrementAndGet();
            } else if (seq > lastSeq + 1) {
                skipped.addAndGet(seq - lastSeq - 1);
            }
        }
        lastSeq = seq;
        if (recording) {
            latency.record(System.nanoTime() - (long) StreamLane.STAMP.get(payload, payload.position()));
        }
        received.lazySet(++count);
    }

    @Override
    public void gap(String cluster, long missed) {
        gapNotices.incrementAndGet();
        gapMissed.addAndGet(missed);
    }

    @Override
    public void refused(int code, String reason) {
        unexpected.incrementAndGet();
    }

    long received() {
        return received.get();
    }

    long gapNotices() {
        return gapNotices.get();
    }

    long gapMissed() {
        return gapMissed.get();
    }

    long outOfOrder() {
        return outOfOrder.get();
    }

    long skipped() {
        return skipped.get();
    }

    long unexpected() {
        return unexpected.get();
    }

    void recording(boolean on) {
        recording = on;
    }

    /** This member's latencies, read on its loop so every recorded value is seen. */
    CompletableFuture<LatencyRecorder> latency() {
        CompletableFuture<LatencyRecorder> f = new CompletableFuture<>();
        context.runOnContext(v -> {
            LatencyRecorder copy = new LatencyRecorder();
            copy.add(latency);
            f.complete(copy);
        });
        return f;
    }
}
