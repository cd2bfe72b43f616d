package org.dapstream.client;

import org.dapstream.protocol.CloseReason;
import org.dapstream.stream.ChannelGap;
import org.dapstream.stream.Stream;

import java.time.Duration;

/**
 * What happens to a {@link ClientSession}'s connection: it is lost and the session waits
 * (writes are kept), it is resumed (nothing was lost or repeated), or the session ends.
 * Called on the client's event loop; must not block.
 */
public interface SessionListener {
    /** The connection was lost; the client is resuming the session. Channels stay open and writes are kept. */
    default void suspended(ClientSession session, CloseReason cause) {
    }

    /**
     * The session runs again on {@code stream}: every message either side wrote arrives once, in order.
     *
     * @param pause    from the loss of the connection to the resumption
     * @param attempts connections tried, this one included
     */
    default void resumed(ClientSession session, Stream stream, Duration pause, int attempts) {
    }

    /**
     * The session resumed at another member after the member that held it was lost (it
     * crashed): this channel could not be carried and is closed (SESSION_LOST); {@code gap}
     * says exactly what was lost. The session itself goes on: open new channels on it. Heard
     * after {@link #resumed}, once per channel.
     */
    default void gap(ClientSession session, ChannelGap gap) {
    }

    /** The session is over: closed by the application or the node, refused on resumption, or expired. Channels are closed. */
    default void ended(ClientSession session, CloseReason reason) {
    }

    SessionListener NONE = new SessionListener() {
    };
}
