package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions a node holds (the seed's session hash table and
 * {@code dap_stream_session_create/delete}). Ids are random, non-zero and unique among
 * live sessions, so one cannot be guessed from another. Thread-safe.
 */
public final class Sessions {
    private final Map<Integer, Session> byId = new ConcurrentHashMap<>();
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
                return session;
            }
        }
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
