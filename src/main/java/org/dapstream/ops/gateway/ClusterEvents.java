package org.dapstream.ops.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import org.dapstream.cluster.Cluster;
import org.dapstream.cluster.ClusterListener;
import org.dapstream.ops.http.JsonReplies;
import org.dapstream.protocol.NodeAddress;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Server-Sent Events subscriber of a named cluster: a member of it (through the node's own
 * API) that writes each message as an event. Messages arrive on the delivering event loop and
 * are written on the request's; what the subscriber cannot take (its response queue over the
 * configured buffer, or too many events on their way to its loop) is counted, never queued, and
 * reported as a {@code gap} event once it takes more, as a CLUSTER channel member gets GAP.
 */
final class ClusterEvents implements ClusterListener {
    /** Events on their way from delivering loops to the subscriber's loop; past it, messages are missed. */
    static final int MAX_IN_FLIGHT = 1024;

    private final Context context;
    private final HttpServerResponse response;
    private final boolean text;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Missed since the last gap event; touched from delivering loops and the subscriber's. */
    private final AtomicLong missed = new AtomicLong();
    /** Confined to the subscriber's loop. */
    private boolean drainArmed;
    private volatile boolean closed;

    ClusterEvents(Context context, HttpServerResponse response, boolean text) {
        this.context = context;
        this.response = response;
        this.text = text;
    }

    @Override
    public void message(Cluster cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced) {
        if (closed) {
            return;
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            missed.incrementAndGet();
            return;
        }
        String event = "id: " + seq + "\nevent: message\ndata: " + data(cluster, origin, publisher, seq, payload, balanced) + "\n\n";
        context.runOnContext(v -> {
            inFlight.decrementAndGet();
            write(cluster.name(), event);
        });
    }

    /** On the subscriber's loop: the event goes, or is missed if the subscriber's queue is full. */
    private void write(String cluster, String event) {
        if (closed) {
            return;
        }
        if (response.writeQueueFull()) {
            missed.incrementAndGet();
            if (!drainArmed) {
                drainArmed = true;
                response.drainHandler(v -> {
                    drainArmed = false;
                    reportGap(cluster);
                });
            }
            return;
        }
        reportGap(cluster);
        response.write(event);
    }

    private void reportGap(String cluster) {
        long n = missed.getAndSet(0);
        if (n > 0 && !closed) {
            response.write("event: gap\ndata: " + gapData(cluster, n) + "\n\n");
        }
    }

    /** A comment line: keeps idle intermediaries from closing the stream. */
    void keepalive() {
        if (!closed && !response.writeQueueFull()) {
            response.write(": keepalive\n\n");
        }
    }

    /** Stops the events; true for the call that did (the subscriber's loop calls it). */
    boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /** The event's data: one line of JSON (Jackson escapes line breaks, so it never splits the SSE field). */
    private String data(Cluster cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced) {
        ObjectNode node = JsonReplies.mapper().createObjectNode()
                .put("cluster", cluster.name()).put("origin", origin.toString())
                .put("publisher", Integer.toUnsignedLong(publisher)).put("seq", seq).put("balanced", balanced);
        String asText = text ? utf8(payload) : null;
        if (asText != null) {
            node.put("text", asText);
        } else {
            ByteBuffer b = payload.duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            node.put("payload", Base64.getEncoder().encodeToString(bytes));
        }
        return node.toString();
    }

    /** The payload as text when it is valid UTF-8, else null (it then goes as base64, under another field name). */
    private static String utf8(ByteBuffer payload) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(payload.duplicate()).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String gapData(String cluster, long missed) {
        return JsonReplies.mapper().createObjectNode().put("cluster", cluster).put("missed", missed).toString();
    }
}
