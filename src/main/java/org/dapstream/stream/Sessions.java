package org.dapstream.stream;

import org.dapstream.crypto.HandshakeException;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.SessionState;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions a node holds (the seed's session hash table and
 * {@code dap_stream_session_create/delete}). Ids are random, non-zero and unique among
 * live sessions, so one cannot be guessed from another. Thread-safe.
 */
public final class Sessions {
    /**
     * Sessions handed over to another member are remembered for this many: a client whose
     * connection to that member was cut before it got a new ticket is sent there (SESSION_MOVED).
     * At most one per session handed over within the session expiry; beyond it the oldest go.
     */
    static final int MAX_MOVED_REMEMBERED = 65_536;

    private final Map<Integer, Session> byId = new ConcurrentHashMap<>();
    /** Ids held for sessions being handed over to this node: no new session takes them meanwhile. */
    private final Set<Integer> reserved = ConcurrentHashMap.newKeySet();
    /** Sessions handed over to another member: to which, and until when (epoch ms). Access-ordered under its own lock. */
    private final Map<Integer, Moved> moved = new LinkedHashMap<>();
    private volatile SessionHandOver handOver;
    private final SecureRandom random = new SecureRandom();
    private final StreamClock clock;
    /** Null: sessions end with their stream (no resumption offered). */
    private volatile SessionResumption resumption;

    public Sessions(StreamClock clock, SessionResumption resumption) {
        this.clock = clock;
        this.resumption = resumption;
    }

    public Sessions(StreamClock clock) {
        this(clock, null);
    }

    public Sessions() {
        this(StreamClock.SYSTEM);
    }

    /** Sessions resume here from now on, as {@code settings} say (set once, at start-up, before streams are accepted). */
    public void enableResumption(SessionResumption settings) {
        resumption = settings;
    }

    /** Sessions waiting to be resumed now. */
    public int suspendedCount() {
        int n = 0;
        for (Session s : byId.values()) {
            if (s.suspension() != null) {
                n++;
            }
        }
        return n;
    }

    /** Bytes the suspended sessions keep for their peers. */
    public long suspendedBytes() {
        long bytes = 0;
        for (Session s : byId.values()) {
            Suspension w = s.suspension();
            if (w != null) {
                bytes += w.retainedBytes();
            }
        }
        return bytes;
    }

    /** Sessions are handed over between this node and the other members of its cluster through {@code link}. */
    public void handOver(SessionHandOver link) {
        handOver = link;
    }

    /** How this node reaches the other members for their sessions; null when it runs alone. */
    public SessionHandOver handOver() {
        return handOver;
    }

    /**
     * True when tickets {@code owner} issued are taken here: this node is in a cluster, where
     * another member's session is handed over (its owner reachable) or claimed with a gap
     * (its owner lost), PROTOCOL.md section 33.
     */
    boolean takesTicketsOf(NodeAddress owner) {
        return handOver != null;
    }

    /** How sessions resume here; null when they do not. */
    public SessionResumption resumption() {
        return resumption;
    }

    /**
     * A session's stream ended and the session waits for a resumption: it ends
     * ({@link #expire}) unless resumed within the expiry. {@code timers} runs the expiry on
     * the loop of the stream that ended, where the channels lived.
     */
    void suspended(Session session, Suspension suspension, StreamTransport timers, CloseReason expired, StreamCounters counters) {
        session.suspended(suspension);
        timers.after(resumption.expiry().toMillis(), () -> {
            if (expire(session, suspension, expired)) {
                counters.sessionExpired();
            }
        });
    }

    /**
     * The expiry passed: a session still waiting with {@code suspension} is forgotten and its channels close.
     *
     * @return false when it was resumed meanwhile
     */
    boolean expire(Session session, Suspension suspension, CloseReason reason) {
        Suspension ended = session.expire(suspension);
        if (ended == null) {
            return false;
        }
        if (byId.remove(session.id(), session)) {
            session.deactivate();
        }
        Suspension.close(ended.end(), reason);
        return true;
    }

    /** {@code dap_stream_session_create}. */
    public Session create(NodeAddress node) {
        while (true) {
            int id = random.nextInt();
            if (id == 0) {
                continue;
            }
            Session session = new Session(id, node, clock.currentTimeMillis());
            if (byId.putIfAbsent(id, session) == null) {
                if (reserved.contains(id)) {
                    byId.remove(id, session); // a session coming from another member holds this id
                    continue;
                }
                return session;
            }
        }
    }

    // ---------------------------------------------------------------- hand-over (PROTOCOL.md section 33)

    /**
     * Holds {@code id} for a session another member hands over.
     *
     * @throws HandshakeException TICKET_REPLAYED while another resumption holds it (a later attempt may pass),
     *                            SESSION_UNKNOWN when a session here has the id
     */
    void reserve(int id) throws HandshakeException {
        if (!reserved.add(id)) {
            throw new HandshakeException(ErrorCode.TICKET_REPLAYED, "session " + Integer.toUnsignedString(id)
                    + ": another resumption of it is in progress here");
        }
        if (byId.containsKey(id)) {
            reserved.remove(id);
            throw new HandshakeException(ErrorCode.SESSION_UNKNOWN, "session " + Integer.toUnsignedString(id)
                    + " of another member: a session here has its id");
        }
    }

    void unreserve(int id) {
        reserved.remove(id);
    }

    /** A session handed over from another member is here now, under the id {@link #reserve} held. */
    void arrived(Session session) {
        byId.put(session.id(), session);
        reserved.remove(session.id());
    }

    /**
     * Another member, {@code to}, asks for session {@code sessionId}, whose ticket {@code ticket}
     * a client presented there: the session leaves this node. If its connection is still here
     * (the client left it unnoticed), that stream ends first. Its channels here close with
     * SESSION_MOVED, and the session is forgotten.
     *
     * @return the session's state for {@code to}; or fails with a {@link HandOverRefusal}
     */
    public CompletableFuture<SessionState> moveOut(int sessionId, long ticket, NodeAddress to, StreamCounters counters) {
        Session s = byId.get(sessionId);
        if (s == null || !s.active()) {
            NodeAddress next = movedTo(sessionId);
            return CompletableFuture.failedFuture(next != null
                    ? new HandOverRefusal(ErrorCode.SESSION_MOVED, "session " + Integer.toUnsignedString(sessionId) + " moved to " + next, next)
                    : new HandOverRefusal(ErrorCode.SESSION_UNKNOWN, "session " + Integer.toUnsignedString(sessionId)
                    + " is not here: it expired or never existed"));
        }
        try {
            s.tickets().claim(ticket);
        } catch (HandshakeException e) {
            return CompletableFuture.failedFuture(new HandOverRefusal(e.code(), e.getMessage()));
        }
        return s.takeOver(Stream::supersede).thenApply(suspension -> {
            Suspension.MovedOut out = suspension == null ? new Suspension.MovedOut(List.of(), List.of()) : suspension.moveOut();
            if (out == null) {
                s.tickets().release(ticket);
                throw new HandOverRefusal(ErrorCode.SESSION_UNKNOWN, "session " + Integer.toUnsignedString(sessionId) + " expired meanwhile");
            }
            s.tickets().consumed();
            if (byId.remove(sessionId, s)) {
                s.deactivate();
            }
            remember(sessionId, to);
            CloseReason reason = CloseReason.of(ErrorCode.SESSION_MOVED, "the session moved to member " + to);
            for (Channel ch : out.closing()) {
                ch.stream.onLoop(() -> Suspension.close(List.of(ch), reason));
            }
            counters.sessionMovedOut();
            return SessionTransfer.state(s, out.states());
        });
    }

    private NodeAddress movedTo(int sessionId) {
        synchronized (moved) {
            Moved m = moved.get(sessionId);
            return m != null && m.untilMillis > clock.currentTimeMillis() ? m.to : null;
        }
    }

    private void remember(int sessionId, NodeAddress to) {
        long until = clock.currentTimeMillis() + (resumption == null ? SessionResumption.DEFAULT_EXPIRY : resumption.expiry()).toMillis();
        synchronized (moved) {
            moved.remove(sessionId);
            moved.put(sessionId, new Moved(to, until));
            Iterator<Moved> oldest = moved.values().iterator();
            while (oldest.hasNext()) {
                Moved m = oldest.next();
                if (moved.size() <= MAX_MOVED_REMEMBERED && m.untilMillis > clock.currentTimeMillis()) {
                    break;
                }
                oldest.remove();
            }
        }
    }

    private record Moved(NodeAddress to, long untilMillis) {
    }

    /** {@code dap_stream_session_delete}: closes its streams and forgets it. */
    public void delete(Session session) {
        if (byId.remove(session.id(), session)) {
            session.deactivate();
            Suspension waiting = session.expire(session.suspension());
            if (waiting != null) {
                Suspension.close(waiting.end(), CloseReason.of(ErrorCode.NORMAL, "session deleted"));
            }
            for (Stream s : session.streams()) {
                s.close();
            }
        }
    }

    public Session find(int id) {
        return byId.get(id);
    }

    public Collection<Session> all() {
        return List.copyOf(byId.values());
    }

    public int size() {
        return byId.size();
    }
}
