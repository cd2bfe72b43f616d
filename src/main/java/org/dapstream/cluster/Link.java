package org.dapstream.cluster;

import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.Stream;

import java.time.Instant;

/**
 * One secure stream between two member nodes, both ends proven by their cluster
 * endorsement, and its LINK channel that carries the cluster's messages in order.
 */
public final class Link {
    /** Which end opened it. */
    public enum Direction { DIALED, ACCEPTED }

    private final NodeAddress peer;
    private final Stream stream;
    private final Channel channel;
    private final Direction direction;
    private final Instant upSince;

    Link(NodeAddress peer, Channel channel, Direction direction) {
        this.peer = peer;
        this.stream = channel.stream();
        this.channel = channel;
        this.direction = direction;
        this.upSince = Instant.now();
    }

    /** The member node on the other end (its proven address). */
    public NodeAddress peer() {
        return peer;
    }

    public Stream stream() {
        return stream;
    }

    public Channel channel() {
        return channel;
    }

    public Direction direction() {
        return direction;
    }

    public Instant upSince() {
        return upSince;
    }

    /** The node address that dialled this link. */
    NodeAddress dialer(NodeAddress self) {
        return direction == Direction.DIALED ? self : peer;
    }

    /**
     * Sends one link message.
     *
     * @return false when the link's queue is full: the caller waits for {@link Channel#whenWritable()}
     */
    public boolean send(byte[] message) {
        try {
            return channel.write(PacketType.DATA, message);
        } catch (IllegalStateException e) {
            return true; // the link is closing: it is down, and its peer's members leave with it; nothing to wait for
        }
    }

    /** True while the link's channel is open. */
    public boolean up() {
        return channel.active();
    }

    @Override
    public String toString() {
        return "link " + direction.name().toLowerCase() + " " + peer + " (" + stream.remoteAddress() + ")";
    }
}
