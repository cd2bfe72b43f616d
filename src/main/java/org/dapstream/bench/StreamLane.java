package org.dapstream.bench;

import io.vertx.core.Context;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.DiscardService;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A lane on one channel of a {@link org.dapstream.stream.Stream}: DISCARD for one-way, ECHO for ping-pong. */
final class StreamLane implements Lane, ChannelHandler {
    /** The discard service answers a CONTROL packet of any payload; ours is empty. */
    private static final byte[] REPORT_REQUEST = new byte[0];
    static final VarHandle STAMP = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Context context;
    /** {@code --writes given}: the producer's array is given to the stream, which keeps it instead of a copy. */
    private final boolean giving;
    private Channel channel;
    private LaneListener listener = new LaneListener() { };

    StreamLane(Context context, boolean giving) {
        this.context = context;
        this.giving = giving;
    }

    /** Binds the channel once its open is acknowledged. */
    void bind(Channel opened) {
        this.channel = opened;
    }

    @Override
    public Context context() {
        return context;
    }

    @Override
    public void listener(LaneListener l) {
        this.listener = l;
    }

    @Override
    public boolean send(byte[] payload, int length) {
        if (giving && length == payload.length) {
            return channel.give(PacketType.DATA, payload); // the producer never changes it
        }
        return channel.write(PacketType.DATA, payload, 0, length);
    }

    @Override
    public void requestReport() {
        channel.write(PacketType.CONTROL, REPORT_REQUEST);
    }

    @Override
    public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
        if (type == PacketType.DATA) {
            listener.echoed((long) STAMP.get(data, data.position()));
        } else {
            long[] counts = DiscardService.readReport(data);
            listener.report(counts[0], counts[1]);
        }
    }

    @Override
    public void readyToWrite(Channel ch) {
        listener.writable();
    }
}
