package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Diagnostic service on {@link ChannelType#DISCARD} (0xF1): DATA packets are counted and
 * dropped. A CONTROL packet (any payload) asks for the counts: the answer is a CONTROL
 * packet of 16 bytes, {@code packets u64 LE | bytes u64 LE}, of the DATA received on this
 * channel before the request. The load generator measures one-way throughput with it.
 * When a report cannot go on (the peer reads none and grants no credit), the channel is
 * paused until it can, as {@link EchoService} does.
 */
public final class DiscardService implements ChannelService {
    /** Size of the count report. */
    public static final int REPORT_SIZE = 16;

    @Override
    public ChannelType type() {
        return ChannelType.DISCARD;
    }

    @Override
    public void opened(Channel channel) {
        channel.attach(new long[2]);
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        long[] counts = (long[]) channel.attachment();
        if (type == PacketType.DATA) {
            counts[0]++;
            counts[1] += data.remaining();
        } else if (channel.stream().active()) { // a closing stream writes nothing more
            ByteBuffer report = ByteBuffer.allocate(REPORT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            report.putLong(counts[0]).putLong(counts[1]).flip();
            if (!channel.write(PacketType.CONTROL, report)) {
                // Back-pressure: hold what comes next uncredited until the reports move again,
                // so a peer that asks and does not read stops at the channel window.
                channel.pause();
            }
        }
    }

    @Override
    public void readyToWrite(Channel channel) {
        channel.resume();
    }

    /** Reads a report: {@code [packets, bytes]}. */
    public static long[] readReport(ByteBuffer data) {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != REPORT_SIZE) {
            throw new IllegalArgumentException("discard report is " + REPORT_SIZE + " bytes, got " + b.remaining());
        }
        return new long[] {b.getLong(), b.getLong()};
    }
}
