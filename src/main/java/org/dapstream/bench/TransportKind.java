package org.dapstream.bench;

/** What carries the messages of a phase. */
public enum TransportKind {
    /** DAP Stream: our protocol engine over the Vert.x transport. */
    STREAM("stream"),
    /** The baseline: length-prefixed messages on plain Vert.x sockets, no protocol logic. */
    RAW("raw"),
    /** DAP Stream over WebSocket: the same engine, its frames in binary messages on an HTTP server's upgraded connections. */
    WEBSOCKET("websocket");

    private final String option;

    TransportKind(String option) {
        this.option = option;
    }

    public String option() {
        return option;
    }
}
