package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A sink that copies every frame it is lent, leaving the payload buffer as it found it. */
final class FrameRecorder implements FrameSink {
    final List<ReceivedFrame> frames = new ArrayList<>();

    @Override
    public void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer payload) {
        frames.add(new ReceivedFrame(type, seqId, channelId, flags, Hex.bytes(payload)));
    }
}
