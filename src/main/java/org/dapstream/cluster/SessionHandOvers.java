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
import java.util.Iterator;
import java.util.LinkedHashMap;
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
    /**
     * Claims on lost members' sessions this node decides are remembered for at most this many
     * sessions (each for the ticket lifetime); beyond it the oldest go, and a ticket whose claim
     * was forgotten could be taken once more.
     */
    static final int MAX_CLAIMS = 65_536;

    private final Vertx vertx;
    private final Links links;
    private final Sessions sessions;
    private final StreamCounters counters;
    private final AtomicInteger nextRequest = new AtomicInteger();
    private final Map<Integer, Ask> asks = new ConcurrentHashMap<>();
    /** The claims this node decided: lost owner and session → until when (epoch ms). Insertion-ordered, under its own lock. */
    private final Map<ClaimKey, Long> claims = new LinkedHashMap<>();

    private record ClaimKey(NodeAddress owner, int session) {
    }

    /** One ask (or claim) in flight: to whom, for what, and the pieces received so far. */
    private final class Ask {
        final int request;
        final NodeAddress owner;
        final int session;
        final long ticket;
        final int hops;
        final CompletableFuture<SessionState> result;
        /** A claim: completes on CLAIM_GRANTED, and {@link #owner} is the member that decides it. */
        CompletableFuture<Void> granted;
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
                HandOverRefusal refusal = new HandOverRefusal(code, why);
                result.completeExceptionally(refusal);
                if (granted != null) {
                    granted.completeExceptionally(refusal);
                }
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

    /**
     * Claims a lost member's session for a resumption here. The member that decides is the same
     * for every member that sees the same members: of this node and the members it has links to,
     * the one whose rendezvous score for (owner, session) is highest.
     */
    @Override
    public CompletableFuture<Void> claim(NodeAddress owner, int sessionId, long ticket) {
        NodeAddress judge = judge(owner, sessionId);
        if (judge.equals(links.self())) {
            return decide(owner, sessionId) ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(replayed(owner, sessionId));
        }
        Link link = links.to(judge);
        CompletableFuture<Void> granted = new CompletableFuture<>();
        if (link == null || !link.up()) {
            granted.completeExceptionally(new HandOverRefusal(ErrorCode.HANDOVER_FAILED, "no link to member " + judge));
            return granted;
        }
        int request = nextRequest.incrementAndGet();
        Ask a = new Ask(request, judge, sessionId, ticket, MAX_HOPS, new CompletableFuture<>());
        a.granted = granted;
        asks.put(request, a);
        a.timer = vertx.setTimer(ANSWER_TIMEOUT.toMillis(), id -> a.fail(ErrorCode.HANDOVER_FAILED,
                "member " + judge + " did not decide the claim within " + ANSWER_TIMEOUT.toMillis() + " ms"));
        link.send(LinkCodec.encode(new LinkMessage.SessionClaim(request, owner, sessionId, ticket)));
        return granted;
    }

    /** The member that decides claims on session {@code sessionId} of {@code owner}: highest score among this node and its linked members. */
    NodeAddress judge(NodeAddress owner, int sessionId) {
        NodeAddress best = links.self();
        long bestScore = score(best, owner, sessionId);
        for (Link l : links.all()) {
            if (!l.up() || l.peer().equals(owner)) {
                continue;
            }
            long score = score(l.peer(), owner, sessionId);
            if (Long.compareUnsigned(score, bestScore) > 0 || (score == bestScore && Long.compareUnsigned(l.peer().value(), best.value()) > 0)) {
                best = l.peer();
                bestScore = score;
            }
        }
        return best;
    }

    /** Rendezvous hashing: a well-mixed 64-bit score of (member, owner, session) (SplitMix64's finaliser). */
    static long score(NodeAddress member, NodeAddress owner, int sessionId) {
        long z = member.value() * 0x9E3779B97F4A7C15L ^ owner.value() + 0x632BE59BD9B4E019L ^ (sessionId & 0xFFFF_FFFFL) * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** As the judge: the first claim on a lost session is granted and remembered; any later one is not. */
    private boolean decide(NodeAddress owner, int sessionId) {
        long now = System.currentTimeMillis();
        long keep = sessions.resumption() == null ? 0 : sessions.resumption().ticketLifetime().toMillis();
        ClaimKey key = new ClaimKey(owner, sessionId);
        synchronized (claims) {
            Iterator<Map.Entry<ClaimKey, Long>> oldest = claims.entrySet().iterator();
            while (oldest.hasNext()) {
                Map.Entry<ClaimKey, Long> e = oldest.next();
                if (claims.size() < MAX_CLAIMS && e.getValue() > now) {
                    break;
                }
                oldest.remove();
            }
            Long until = claims.get(key);
            if (until != null && until > now) {
                return false;
            }
            claims.put(key, now + keep);
            return true;
        }
    }

    private static HandOverRefusal replayed(NodeAddress owner, int sessionId) {
        return new HandOverRefusal(ErrorCode.TICKET_REPLAYED, "session " + Integer.toUnsignedString(sessionId) + " of lost member "
                + owner + " was resumed already");
    }

    /** A hand-over message from {@code link}'s peer. */
    void onMessage(Link link, LinkMessage m) throws ProtocolException {
        if (m instanceof LinkMessage.HandOverAsk ask) {
            answer(link, ask);
        } else if (m instanceof LinkMessage.SessionClaim claim) {
            if (reaches(claim.owner())) {
                // The owner is alive, only not linked to the asker: its session is handed over, not lost.
                link.send(LinkCodec.encode(new LinkMessage.HandOverRefused(claim.request(), ErrorCode.HANDOVER_FAILED, null,
                        "member " + claim.owner() + " is alive (linked to " + links.self() + "): resume where it is reachable")));
                return;
            }
            link.send(LinkCodec.encode(decide(claim.owner(), claim.session()) ? new LinkMessage.ClaimGranted(claim.request())
                    : new LinkMessage.HandOverRefused(claim.request(), ErrorCode.TICKET_REPLAYED, null,
                    replayed(claim.owner(), claim.session()).getMessage())));
        } else if (m instanceof LinkMessage.ClaimGranted granted) {
            Ask a = asks.get(granted.request());
            if (a != null && a.granted != null && a.owner.equals(link.peer()) && asks.remove(a.request, a)) {
                vertx.cancelTimer(a.timer);
                a.granted.complete(null);
            }
        } else if (m instanceof LinkMessage.HandOverPart part) {
            Ask a = asks.get(part.request());
            if (a == null || a.granted != null || !a.owner.equals(link.peer())) {
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
            if (a.granted != null) {
                a.granted.completeExceptionally(new HandOverRefusal(refused.code(), refused.reason()));
                return;
            }
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
