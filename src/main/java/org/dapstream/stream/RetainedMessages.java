package org.dapstream.stream;

import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.SessionState;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;

/**
 * One channel's written messages that the peer has not acknowledged yet, oldest first, as the
 * application wrote them (before compression and encryption, which belong to a connection).
 * Message numbers start at 1: {@link #written()} is the number of the newest. Event-loop confined.
 */
final class RetainedMessages {
    /** One message: its packet type and its bytes (an array of exactly its size, owned here). */
    record Message(PacketType type, byte[] data) {
    }

    private final ArrayDeque<Message> messages = new ArrayDeque<>();
    private long written;
    private long acknowledged;
    /** The highest count the peer's ACKs gave; a resumption's RESUMED may have let go of more (what the peer held unread). */
    private long lastAck;
    private long bytes;

    /**
     * A channel's kept messages as another member handed them over: {@code acknowledged}
     * were acknowledged, {@code kept} follow them.
     *
     * @return the bytes now kept
     */
    long restore(long acknowledged, List<SessionState.Message> kept) {
        this.acknowledged = acknowledged;
        this.lastAck = acknowledged;
        this.written = acknowledged;
        for (SessionState.Message m : kept) {
            add(m.type(), m.data());
        }
        return bytes;
    }

    /** Keeps the next message; {@code data} is owned from now on (never changed by anyone). */
    void add(PacketType type, byte[] data) {
        messages.addLast(new Message(type, data));
        written++;
        bytes += data.length;
    }

    /**
     * The peer acknowledged messages up to {@code delivered}: they are let go.
     *
     * @return the bytes let go
     */
    long acknowledge(long delivered) {
        long freed = 0;
        while (acknowledged < delivered) {
            freed += messages.pollFirst().data().length;
            acknowledged++;
        }
        bytes -= freed;
        return freed;
    }

    /** Lets every message go (the channel ended); returns their bytes. */
    long clear() {
        long freed = bytes;
        messages.clear();
        acknowledged = written;
        bytes = 0;
        return freed;
    }

    /** The messages kept now, oldest first (numbers acknowledged()+1 .. written()): what a resumption sends again. */
    Collection<Message> kept() {
        return messages;
    }

    /** Messages written on the channel so far. */
    long written() {
        return written;
    }

    /** The highest count an ACK gave (ACKs never go back); {@link #acknowledged()} may be ahead of it after a resumption. */
    long lastAck() {
        return lastAck;
    }

    /** The peer's ACK of {@code delivered}: remembered, and what it covers let go. */
    long acknowledgeByAck(long delivered) {
        lastAck = delivered;
        return acknowledge(delivered);
    }

    /** Messages the peer has acknowledged. */
    long acknowledged() {
        return acknowledged;
    }

    /** Messages kept now. */
    int count() {
        return messages.size();
    }

    /** Bytes kept now. */
    long bytes() {
        return bytes;
    }
}
