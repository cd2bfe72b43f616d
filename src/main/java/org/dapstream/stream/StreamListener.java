package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;

/** Life-cycle events of a stream, on its event loop. */
public interface StreamListener {
    /** Setup done: channels may be opened. */
    default void active(Stream stream) {
    }

    /**
     * The peer is going away (GOAWAY): open nothing more on this stream, finish within
     * {@code goAway.graceMillis()} and close it; {@code goAway.alternate()} names another
     * member when the peer knows one. Called at most once.
     */
    default void goingAway(Stream stream, ControlMessage.GoAway goAway) {
    }

    /** The stream ended; called once. */
    default void closed(Stream stream, CloseReason reason) {
    }

    StreamListener NONE = new StreamListener() {
    };

    /**
     * A channel carried over a resumption ended with a gap: the member that held the session
     * was lost (PROTOCOL.md section 33.7). Before the channel's handler hears it closed.
     */
    default void gap(Stream stream, ChannelGap gap) {
    }
}
