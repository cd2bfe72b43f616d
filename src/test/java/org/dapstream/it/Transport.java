package org.dapstream.it;

/** What carries a socket test's streams: the same frames and handshake over TCP or over WebSocket. */
enum Transport {
    TCP,
    WEBSOCKET
}
