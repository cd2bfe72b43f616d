package org.dapstream.stream;

/** Life of a stream. Only the setup exchange is accepted in {@link #SETUP}. */
public enum StreamState {
    /** Connected; HELLO/WELCOME (later: the secure handshake) not yet done. */
    SETUP,
    /** Channels may be opened and used. */
    ACTIVE,
    /** A CLOSE or ERROR for the stream was sent or received; the connection is going down. */
    CLOSED
}
