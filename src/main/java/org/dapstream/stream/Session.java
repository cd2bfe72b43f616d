package org.dapstream.stream;

import org.dapstream.crypto.PeerIdentity;
import org.dapstream.protocol.NodeAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The seed's {@code dap_stream_session_t}: a peer's session, which outlives any one
 * connection so later versions can resume it. Thread-safe to read.
 */
public final class Session {
    private final int id;
    private final NodeAddress nodeAddress;
    private final long createTime;
    private volatile long lastActivity;
    private volatile boolean active = true;
    private final List<Stream> streams = new CopyOnWriteArrayList<>();
    /** Tickets, the suspension and a resumption in progress (the acceptor's view; guarded by this). */
    private final SessionTickets tickets = new SessionTickets();
    private Suspension suspension;
    private CompletableFuture<Suspension> takeOver;
    private volatile PeerIdentity peer;
    private volatile long lastResume;
    private volatile long resumes;
    /** The member it was handed over from (PROTOCOL.md section 33); null when it began here. */
    private volatile NodeAddress movedFrom;
    private volatile NodeAddress gapFrom;

    public Session(int id, NodeAddress nodeAddress, long createTimeMillis) {
        this.id = id;
        this.nodeAddress = nodeAddress;
        this.createTime = createTimeMillis;
        this.lastActivity = createTimeMillis;
    }

    public int id() {
        return id;
    }

    /** The peer's node address as it claimed it (authenticated once the secure handshake exists). */
    public NodeAddress nodeAddress() {
        return nodeAddress;
    }

    /** Creation time, epoch milliseconds. */
    public long createTime() {
        return createTime;
    }

    /** Last time a frame arrived on any of its streams, epoch milliseconds (kept to the keepalive tick). */
    public long lastActivity() {
        return lastActivity;
    }

    public boolean active() {
        return active;
    }

    public List<Stream> streams() {
        return List.copyOf(streams);
    }

    /** The channels of all its streams. */
    public List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (Stream s : streams) {
            out.addAll(s.channels());
        }
        return out;
    }

    void touch(long nowMillis) {
        lastActivity = nowMillis;
    }

    void attach(Stream stream) {
        streams.add(stream);
    }

    /** @return true when this was the session's last stream */
    boolean detach(Stream stream) {
        streams.remove(stream);
        return streams.isEmpty();
    }

    void deactivate() {
        active = false;
    }

    /** The identity the peer proved in the session's full handshake; null when it did not authenticate. A resumption keeps it. */
    public PeerIdentity peer() {
        return peer;
    }

    void authenticated(PeerIdentity identity) {
        peer = identity;
    }

    /** The session's tickets (an acceptor issues and checks them here). */
    SessionTickets tickets() {
        return tickets;
    }

    /** The channels waiting for a resumption, or null while a stream carries the session. */
    public synchronized Suspension suspension() {
        return suspension;
    }

    /**
     * The member that was lost with this session's channels, until the connector shows (its
     * RESUMED) that it heard so (SESSION_GAP, PROTOCOL.md section 33.7); null otherwise.
     */
    NodeAddress gapFrom() {
        return gapFrom;
    }

    void gapFrom(NodeAddress lost) {
        gapFrom = lost;
    }

    /** The member this session was handed over from, the issuer of the ticket it came with; null when it began here. */
    public NodeAddress movedFrom() {
        return movedFrom;
    }

    void movedFrom(NodeAddress owner) {
        movedFrom = owner;
    }

    /** When it last resumed, epoch milliseconds; 0 if never. */
    public long lastResume() {
        return lastResume;
    }

    /** How many times it resumed. */
    public long resumes() {
        return resumes;
    }

    /** Its stream ended and the session waits for a resumption: a resumption in progress takes the channels at once. */
    synchronized void suspended(Suspension s) {
        CompletableFuture<Suspension> waiting = takeOver;
        if (waiting != null) {
            takeOver = null;
            waiting.complete(s);
        } else {
            suspension = s;
        }
    }

    /**
     * A resumption completed its handshake: the channels of the session's suspension, once the
     * stream that still carries it (a connection the peer has left, not yet noticed here) has
     * ended; {@code supersede} ends it.
     */
    synchronized CompletableFuture<Suspension> takeOver(Consumer<Stream> supersede) {
        if (suspension != null) {
            Suspension s = suspension;
            suspension = null;
            return CompletableFuture.completedFuture(s);
        }
        if (streams.isEmpty()) {
            return CompletableFuture.completedFuture(null); // nothing was carried: the session resumes with no channel
        }
        CompletableFuture<Suspension> f = new CompletableFuture<>();
        takeOver = f;
        streams.forEach(supersede);
        return f;
    }

    /** The session resumed (counted for the admin view). */
    void resumed(long nowMillis) {
        lastResume = nowMillis;
        resumes++;
    }

    /**
     * The session expired: its suspension ends, if it is still the one it waited with.
     *
     * @return the suspension that ended, or null when the session resumed meanwhile
     */
    synchronized Suspension expire(Suspension expected) {
        if (suspension != expected || expected == null) {
            return null;
        }
        suspension = null;
        return expected;
    }

    @Override
    public String toString() {
        return "session " + Integer.toUnsignedString(id) + " node " + nodeAddress;
    }
}
