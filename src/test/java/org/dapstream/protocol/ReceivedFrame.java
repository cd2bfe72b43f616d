package org.dapstream.protocol;

import java.util.Arrays;

/** One frame as a sink saw it, with its payload copied out; equal when every field and byte is. */
record ReceivedFrame(PacketType type, int seqId, int channelId, int flags, byte[] payload) {

    /** The frame's wire image: header then payload. */
    byte[] encode() {
        return FrameHeader.frame(type, seqId, channelId, flags, payload);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReceivedFrame f && type == f.type && seqId == f.seqId && channelId == f.channelId
                && flags == f.flags && Arrays.equals(payload, f.payload);
    }

    @Override
    public int hashCode() {
        return ((type.hashCode() * 31 + seqId) * 31 + channelId) * 31 + flags + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        String head = Hex.encode(Arrays.copyOf(payload, Math.min(payload.length, 16)));
        return type + " seq=" + Integer.toUnsignedString(seqId) + " ch=" + channelId + " flags=" + Flags.describe(flags)
                + " payload[" + payload.length + "]=" + head + (payload.length > 16 ? "..." : "")
                + " crc=" + Integer.toHexString(Arrays.hashCode(payload));
    }
}
