package org.dapstream.bench;

import io.vertx.core.Context;

/** A producer's share of a {@link RawConnection}. */
final class RawLane implements Lane {
    private final RawConnection connection;
    LaneListener listener = new LaneListener() { };
    /** Set when a send reported back-pressure; cleared when the socket drains. */
    boolean blocked;

    RawLane(RawConnection connection) {
        this.connection = connection;
    }

    @Override
    public Context context() {
        return connection.context();
    }

    @Override
    public void listener(LaneListener l) {
        this.listener = l;
    }

    @Override
    public boolean send(byte[] payload, int length) {
        return connection.send(this, payload, length);
    }

    @Override
    public void requestReport() {
        connection.requestReport();
    }
}
