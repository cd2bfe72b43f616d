package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;

/**
 * Diagnostic service on {@link ChannelType#ECHO} (0xF0): every DATA or CONTROL packet is
 * sent back on the same channel with the same type. When its writes back up, it stops
 * reading the stream until the channel is writable again, so an echo peer that never reads
 * its answers cannot make the server buffer without bound.
 */
public final class EchoService implements ChannelService {
    @Override
    public ChannelType type() {
        return ChannelType.ECHO;
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        if (!channel.stream().active()) {
            return; // the stream is closing: no more writes, and nothing is owed to a leaving peer
        }
        if (!channel.write(type, data) && channel.attachment() == null) {
            channel.attach(Boolean.TRUE); // marks "this channel paused the stream"
            channel.stream().pauseReading();
        }
    }

    @Override
    public void readyToWrite(Channel channel) {
        resume(channel);
    }

    @Override
    public void closed(Channel channel, org.dapstream.protocol.CloseReason reason) {
        resume(channel);
    }

    private static void resume(Channel channel) {
        if (channel.attachment() != null) {
            channel.attach(null);
            channel.stream().resumeReading();
        }
    }
}
