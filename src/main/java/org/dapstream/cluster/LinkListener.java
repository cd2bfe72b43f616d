package org.dapstream.cluster;

import org.dapstream.protocol.CloseReason;

import java.nio.ByteBuffer;

/** Told of links coming up, their messages, and links going down. */
public interface LinkListener {
    /** A link to {@code link.peer()} is up; it replaces any earlier one to that peer. */
    default void linkUp(Link link) {
    }

    /**
     * One message from the peer (the whole payload of one packet on the LINK channel), on the
     * link's event loop; {@code data} is valid only during the call.
     */
    default void message(Link link, ByteBuffer data) {
    }

    /** The link is gone: whatever was learned through it is stale. */
    default void linkDown(Link link, CloseReason reason) {
    }
}
