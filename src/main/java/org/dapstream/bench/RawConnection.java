package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The client end of one raw baseline socket, shared by its lanes. Echoes come back in the
 * order sent, so each goes to the lane that sent the oldest unanswered message.
 */
final class RawConnection implements RawFrameReader.Sink {
    /** A report request carries nothing. */
    private static final byte[] NO_PAYLOAD = new byte[0];

    private final NetSocketInternal socket;
    private final Context context;
    private final RawBatch out;
    private final RawFrameReader reader = new RawFrameReader();
    private final List<RawLane> lanes = new ArrayList<>();
    private final ArrayDeque<RawLane> awaitingEcho = new ArrayDeque<>();
    private final boolean echoes;
    private boolean anyBlocked;

    /** Call on the socket's event loop (its connect handler). */
    RawConnection(NetSocket netSocket, int laneCount, boolean echoes, RawBaseline bed) {
        this.socket = (NetSocketInternal) netSocket;
        this.context = Vertx.currentContext();
        this.out = new RawBatch(socket);
        this.echoes = echoes;
        for (int i = 0; i < laneCount; i++) {
            lanes.add(new RawLane(this));
        }
        socket.messageHandler(m -> reader.feed(m, this, socket));
        socket.drainHandler(v -> onDrain());
        socket.closeHandler(v -> {
            out.closed();
            if (!bed.closing()) {
                bed.fail("raw connection to " + socket.remoteAddress() + " closed by the peer");
            }
        });
        socket.exceptionHandler(e -> bed.fail("raw connection to " + socket.remoteAddress() + " failed: " + e));
    }

    Context context() {
        return context;
    }

    List<RawLane> lanes() {
        return lanes;
    }

    boolean send(RawLane lane, byte[] payload, int length) {
        if (echoes) {
            awaitingEcho.add(lane);
        }
        if (out.write(length, payload, 0, length)) {
            return true;
        }
        lane.blocked = true;
        anyBlocked = true;
        return false;
    }

    void requestReport() {
        out.write(RawFormat.CONTROL, NO_PAYLOAD, 0, 0);
    }

    private void onDrain() {
        if (!anyBlocked) {
            return;
        }
        anyBlocked = false;
        for (RawLane lane : lanes) {
            if (lane.blocked) {
                lane.blocked = false;
                lane.listener.writable();
            }
        }
    }

    @Override
    public void data(ByteBuf buffer, int index, int length) {
        RawLane lane = awaitingEcho.poll();
        if (lane != null) {
            lane.listener.echoed(buffer.getLongLE(index));
        }
    }

    @Override
    public void control(ByteBuf buffer, int index, int length) {
        if (length == RawFormat.REPORT_SIZE) {
            lanes.get(0).listener.report(buffer.getLongLE(index), buffer.getLongLE(index + Long.BYTES));
        }
    }

    void close() {
        socket.close();
    }
}
