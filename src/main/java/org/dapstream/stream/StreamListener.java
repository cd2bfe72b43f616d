package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;

/** Life-cycle events of a stream, on its event loop. */
public interface StreamListener {
    /** Setup done: channels may be opened. */
    default void active(Stream stream) {
    }

    /** The stream ended; called once. */
    default void closed(Stream stream, CloseReason reason) {
    }

    StreamListener NONE = new StreamListener() {
    };
}
