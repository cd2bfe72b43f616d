package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;

/**
 * Diagnostic service on {@link ChannelType#ECHO} (0xF0): every DATA or CONTROL packet is
 * sent back on the same channel with the same type. When its writes back up (the peer is not
 * reading its answers and grants no credit), it pauses its own channel: what the peer sends
 * next is held uncredited, so the peer's sender stops at the channel window, and the
 * stream's other channels go on. {@code readyToWrite} resumes it. What it owes the peer in
 * all, over every channel of the stream, stays within the stream's output budget.
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
            // Each channel's first echo is queued whole (up to the message limit) before write
            // says false, so a peer that opens many channels and grants no credit for the echoes
            // could park one message per channel: past the stream's output budget, it is ended.
            // On an acknowledged stream the session store bounds it instead (write says false at its bound, never
            // later), and after a resumption the queues rightly hold what the peer lacked, up to that bound.
            Stream stream = channel.stream();
            long owed = stream.queuedOutputBytes();
            if (!stream.acknowledged() && owed > stream.outputBudget()) {
                stream.endAfterThisTask(ErrorCode.RESOURCE_EXHAUSTED, "echoes the peer has not taken (" + owed
                        + " bytes, waiting for its reading or its credit) exceed the output budget of " + stream.outputBudget());
                return;
            }
            channel.pause();
        }
    }

    @Override
    public void readyToWrite(Channel channel) {
        channel.resume();
    }
}
