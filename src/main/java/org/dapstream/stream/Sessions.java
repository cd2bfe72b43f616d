package org.dapstream.stream;

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

    public Sessions(StreamClock clock) {
        this.clock = clock;
    }

    public Sessions() {
        this(StreamClock.SYSTEM);
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
