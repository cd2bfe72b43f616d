package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;

/**
 * Diagnostic service on {@link ChannelType#ECHO} (0xF0): every DATA or CONTROL packet is
 * sent back on the same channel with the same type. When its writes back up (the peer is not
 * reading its answers and grants no credit), it pauses its own channel: what the peer sends
 * next is held uncredited, so the peer's sender stops at the channel window, and the
 * stream's other channels go on. {@code readyToWrite} resumes it.
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
        if (!channel.write(type, data)) {
            channel.pause();
        }
    }

    @Override
    public void readyToWrite(Channel channel) {
        channel.resume();
    }
}
