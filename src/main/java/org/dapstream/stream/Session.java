package org.dapstream.stream;

import org.dapstream.protocol.NodeAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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

    @Override
    public String toString() {
        return "session " + Integer.toUnsignedString(id) + " node " + nodeAddress;
    }
}
