package org.dapstream.cluster;

import io.vertx.core.Vertx;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.SessionState;
import org.dapstream.protocol.SessionStateCodec;
import org.dapstream.stream.HandOverRefusal;
import org.dapstream.stream.SessionHandOver;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamCounters;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sessions moving between members over their links (PROTOCOL.md section 33). As the member a
 * client resumed at, it asks the session's owner (HANDOVER_ASK) and gathers the state it
 * sends (HANDOVER_PART), following a SESSION_MOVED refusal to the member the session went to.
 * As the owner, it gives the session up ({@link Sessions#moveOut}) and sends its state in
 * pieces, or refuses with a code. Thread-safe: asks come from streams' loops, answers on links'.
 */
public final class SessionHandOvers implements SessionHandOver {
    private static final System.Logger LOG = System.getLogger(SessionHandOvers.class.getName());
    /** An owner that has not handed the session over within this is taken to be gone: HANDOVER_FAILED, and the client tries again. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    /** Bytes of state per HANDOVER_PART: well under a link's window, so other cluster traffic interleaves. */
    static final int PART_BYTES = 64 * 1024;
    /**
     * The most state one hand-over may bring: four times the default session store (which an
     * owner exceeds only by what writers wrote past its back-pressure). More is refused.
     */
    static final long MAX_STATE_BYTES = 64L * 1024 * 1024;
    /** A session that moved on is followed this many times before the ask fails. */
    static final int MAX_HOPS = 3;

    private final Vertx vertx;
    private final Links links;
    private final Sessions sessions;
    private final StreamCounters counters;
    private final AtomicInteger nextRequest = new AtomicInteger();
    private final Map<Integer, Ask> asks = new ConcurrentHashMap<>();

    /** One ask in flight: to whom, for what, and the pieces received so far. */
    private final class Ask {
        final int request;
        final NodeAddress owner;
        final int session;
        final long ticket;
        final int hops;
        final CompletableFuture<SessionState> result;
        final ByteArrayOutputStream state = new ByteArrayOutputStream();
        long timer = -1;

        Ask(int request, NodeAddress owner, int session, long ticket, int hops, CompletableFuture<SessionState> result) {
            this.request = request;
            this.owner = owner;
            this.session = session;
            this.ticket = ticket;
            this.hops = hops;
            this.result = result;
        }

        void fail(ErrorCode code, String why) {
            if (asks.remove(request, this)) {
                vertx.cancelTimer(timer);
                result.completeExceptionally(new HandOverRefusal(code, why));
            }
        }
    }

    public SessionHandOvers(Vertx vertx, Links links, Sessions sessions, StreamCounters counters) {
        this.vertx = vertx;
        this.links = links;
        this.sessions = sessions;
        this.counters = counters;
    }

    @Override
    public boolean reaches(NodeAddress node) {
        Link l = links.to(node);
        return l != null && l.up();
    }

    @Override
    public CompletableFuture<SessionState> fetch(NodeAddress owner, int sessionId, long ticket) {
        CompletableFuture<SessionState> result = new CompletableFuture<>();
        ask(owner, sessionId, ticket, 0, result);
        return result;
    }

    private void ask(NodeAddress owner, int sessionId, long ticket, int hops, CompletableFuture<SessionState> result) {
        Link link = links.to(owner);
        if (link == null || !link.up()) {
            result.completeExceptionally(new HandOverRefusal(ErrorCode.HANDOVER_FAILED, "no link to member " + owner));
            return;
        }
        int request = nextRequest.incrementAndGet();
        Ask a = new Ask(request, owner, sessionId, ticket, hops, result);
        asks.put(request, a);
        a.timer = vertx.setTimer(ANSWER_TIMEOUT.toMillis(), id -> a.fail(ErrorCode.HANDOVER_FAILED,
                "member " + owner + " did not hand the session over within " + ANSWER_TIMEOUT.toMillis() + " ms"));
        link.send(LinkCodec.encode(new LinkMessage.HandOverAsk(request, sessionId, ticket)));
    }

    /** A hand-over message from {@code link}'s peer. */
    void onMessage(Link link, LinkMessage m) throws ProtocolException {
        if (m instanceof LinkMessage.HandOverAsk ask) {
            answer(link, ask);
        } else if (m instanceof LinkMessage.HandOverPart part) {
            Ask a = asks.get(part.request());
            if (a == null || !a.owner.equals(link.peer())) {
                return; // timed out or failed meanwhile: the owner's late answer has nobody to go to
            }
            ByteBuffer data = part.data();
            if (a.state.size() + (long) data.remaining() > MAX_STATE_BYTES) {
                a.fail(ErrorCode.HANDOVER_FAILED, "member " + link.peer() + " sent more than " + MAX_STATE_BYTES + " bytes of session state");
                return;
            }
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            a.state.write(bytes, 0, bytes.length);
            if (part.last() && asks.remove(a.request, a)) {
                vertx.cancelTimer(a.timer);
                try {
                    SessionState state = SessionStateCodec.decode(ByteBuffer.wrap(a.state.toByteArray()));
                    if (state.peerAlgorithm() != 0 && SignatureAlgorithm.fromWireId(state.peerAlgorithm()) == null) {
                        throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, String.format(
                                "session state peer_alg 0x%02x is not a signature algorithm", state.peerAlgorithm()));
                    }
                    if (state.sessionId() != a.session) {
                        throw new ProtocolException(ErrorCode.MALFORMED_CLUSTER_MESSAGE, "session state of session "
                                + Integer.toUnsignedString(state.sessionId()) + " for an ask of session " + Integer.toUnsignedString(a.session));
                    }
                    a.result.complete(state);
                } catch (ProtocolException e) {
                    a.result.completeExceptionally(new HandOverRefusal(ErrorCode.HANDOVER_FAILED, "member " + link.peer()
                            + " sent a malformed session state: " + e.getMessage()));
                    throw e;
                }
            }
        } else if (m instanceof LinkMessage.HandOverRefused refused) {
            Ask a = asks.get(refused.request());
            if (a == null || !a.owner.equals(link.peer()) || !asks.remove(a.request, a)) {
                return;
            }
            vertx.cancelTimer(a.timer);
            NodeAddress next = refused.movedTo();
            if (refused.code() == ErrorCode.SESSION_MOVED && next.equals(links.self())) {
                // It was handed to this node, and its state never arrived (the link failed on the way): it is gone.
                a.result.completeExceptionally(new HandOverRefusal(ErrorCode.SESSION_UNKNOWN, "session "
                        + Integer.toUnsignedString(a.session) + " was lost while it was handed over to this node"));
                return;
            }
            if (refused.code() == ErrorCode.SESSION_MOVED && !next.equals(NodeAddress.NONE) && a.hops < MAX_HOPS) {
                ask(next, a.session, a.ticket, a.hops + 1, a.result); // handed over since: ask where it went
                return;
            }
            a.result.completeExceptionally(new HandOverRefusal(refused.code(), refused.reason()));
        }
    }

    /** As the owner: the session leaves for the asker, or a refusal says why not. */
    private void answer(Link link, LinkMessage.HandOverAsk ask) {
        sessions.moveOut(ask.session(), ask.ticket(), link.peer(), counters).whenComplete((state, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                HandOverRefusal r = cause instanceof HandOverRefusal h ? h
                        : new HandOverRefusal(ErrorCode.INTERNAL_ERROR, "handing the session over failed");
                if (!(cause instanceof HandOverRefusal)) {
                    LOG.log(System.Logger.Level.ERROR, "handing session " + Integer.toUnsignedString(ask.session()) + " to " + link.peer()
                            + " failed", cause);
                }
                link.send(LinkCodec.encode(new LinkMessage.HandOverRefused(ask.request(), r.code(), r.movedTo(), r.getMessage())));
                return;
            }
            byte[] encoded = SessionStateCodec.encode(state);
            int at = 0;
            do {
                int n = Math.min(PART_BYTES, encoded.length - at);
                // Sent whatever the link's back-pressure says: the state is bounded, and the session is the asker's now.
                link.send(LinkCodec.encode(new LinkMessage.HandOverPart(ask.request(), at + n == encoded.length,
                        ByteBuffer.wrap(encoded, at, n))));
                at += n;
            } while (at < encoded.length);
            LOG.log(System.Logger.Level.DEBUG, () -> "session " + Integer.toUnsignedString(ask.session()) + " handed over to "
                    + link.peer() + " (" + encoded.length + " bytes, " + state.channels().size() + " channels)");
        });
    }

    /** A link went down: what was asked of its peer fails (the client tries again). */
    void linkDown(Link link) {
        for (Ask a : asks.values()) {
            if (a.owner.equals(link.peer())) {
                a.fail(ErrorCode.HANDOVER_FAILED, "the link to member " + link.peer() + " went down");
            }
        }
    }
}
