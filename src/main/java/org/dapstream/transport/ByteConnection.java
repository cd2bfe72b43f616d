package org.dapstream.transport;

import org.dapstream.protocol.ErrorCode;

import java.nio.ByteBuffer;

/**
 * One connection's bytes, as a transport binding provides them: what {@link VertxTransport}
 * runs a stream over. A binding implements only this (the TCP one is {@link TcpConnection});
 * the stream's side of the contract (claim/commit into a {@link WriteBatch}, timers, the
 * close linger, the first-frame hook) is {@link VertxTransport}'s and the same for every
 * binding. Every method is called on the connection's Vert.x event loop, and the binding
 * reports its events there.
 */
public interface ByteConnection {
    /** Where this connection's {@link WriteBatch} sends its batches. */
    BatchTarget batchTarget();

    /** Starts reporting the connection's events to {@code events}; called once, before anything is written. */
    void start(Events events);

    /** Stops reading from the network until {@link #resumeReading()} (not merely buffering what arrives). */
    void pauseReading();

    void resumeReading();

    /** Closes once what was handed to the {@link #batchTarget()} has been sent. */
    void close();

    /**
     * Closes at once, dropping what is still queued: a peer that does not read would keep a
     * graceful close waiting forever.
     */
    void abort();

    /** The peer's address, for logs and the admin view. */
    String remoteAddress();

    /** What the connection reports, on its event loop. */
    interface Events {
        /** Bytes received; the buffer is lent for this call only. */
        void bytes(ByteBuffer bytes);

        /** The outbound queue went back below its low-water mark. */
        void writable();

        /** The connection is closed (by either side, or lost); nothing more is reported. */
        void closed();

        /**
         * The binding received input its transport cannot carry (a WebSocket text message, say):
         * the stream ends with ERROR {@code code}, then the binding closes as it decided.
         */
        void failed(ErrorCode code, String reason);
    }
}
