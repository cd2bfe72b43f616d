package org.dapstream.protocol;

import java.nio.ByteBuffer;

/** Receives the frames a {@link FrameDecoder} completes, in wire order. */
@FunctionalInterface
public interface FrameSink {
    /**
     * One complete frame whose header passed the decoder's checks.
     *
     * @param payload the frame payload is {@code payload.position()..payload.limit()}; the
     *                buffer is only lent for the duration of the call (it may be a view of
     *                the transport's read buffer, which is reused): copy what you keep.
     *                Moving its position or limit is allowed; the decoder restores them.
     * @throws ProtocolException when the frame breaks a rule above the codec (sequence,
     *                           channel state); the decoder fails and ignores later input
     */
    void onFrame(PacketType type, int seqId, int channelId, int flags, ByteBuffer payload) throws ProtocolException;
}
