package org.dapstream.bench;

import io.vertx.core.Context;

/**
 * One producer's path to the receiver: a channel of a stream, or a share of a raw socket.
 * Every method but {@link #context()} is called on that context's event loop.
 */
interface Lane {
    /** The event loop that owns the connection this lane travels on. */
    Context context();

    /** Where the lane's events go; set before the workload starts. */
    void listener(LaneListener listener);

    /**
     * Sends one message, {@code length} bytes of {@code payload}, copied before this returns.
     *
     * @return false when the connection is backed up: send nothing more until
     *         {@link LaneListener#writable()}
     */
    boolean send(byte[] payload, int length);

    /** Asks the discard receiver for the messages it has counted; the answer comes to {@link LaneListener#report}. */
    void requestReport();
}
