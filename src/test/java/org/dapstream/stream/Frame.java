package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A frame the stream sent, as the peer decoded it, with its payload copied out. */
record Frame(PacketType type, int seq, int ch, int flags, byte[] payload) {

    int wireSize() {
        return FrameHeader.SIZE + payload.length;
    }

    /** The ch 0 CONTROL message this frame carries. */
    ControlMessage control() {
        if (type != PacketType.CONTROL || ch != 0) {
            throw new AssertionError("not a stream CONTROL frame: " + this);
        }
        try {
            return ControlCodec.decode(ByteBuffer.wrap(payload));
        } catch (ProtocolException e) {
            throw new AssertionError("the stream sent a malformed CONTROL message: " + e + " in " + this, e);
        }
    }

    /** The code and reason of a CLOSE or ERROR frame. */
    CloseReason reason() {
        if (type != PacketType.CLOSE && type != PacketType.ERROR) {
            throw new AssertionError("not a CLOSE or ERROR frame: " + this);
        }
        try {
            return CloseReason.decode(ByteBuffer.wrap(payload));
        } catch (ProtocolException e) {
            throw new AssertionError("the stream sent a malformed CLOSE/ERROR payload: " + e + " in " + this, e);
        }
    }

    ErrorCode errorCode() {
        return reason().errorCode();
    }

    KeepAlivePayload keepAlive() {
        if (type != PacketType.KEEPALIVE) {
            throw new AssertionError("not a KEEPALIVE frame: " + this);
        }
        try {
            return KeepAlivePayload.decode(ByteBuffer.wrap(payload));
        } catch (ProtocolException e) {
            throw new AssertionError("the stream sent a malformed KEEPALIVE: " + e + " in " + this, e);
        }
    }

    String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    boolean is(PacketType t, int channel) {
        return type == t && ch == channel;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && type == f.type && seq == f.seq && ch == f.ch && flags == f.flags
                && Arrays.equals(payload, f.payload);
    }

    @Override
    public int hashCode() {
        return ((type.hashCode() * 31 + seq) * 31 + ch) * 31 + flags + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        String body;
        try {
            body = switch (type) {
                case CONTROL -> ch == 0 ? String.valueOf(ControlCodec.decode(ByteBuffer.wrap(payload))) : hex();
                case CLOSE, ERROR -> String.valueOf(CloseReason.decode(ByteBuffer.wrap(payload)));
                case KEEPALIVE -> String.valueOf(KeepAlivePayload.decode(ByteBuffer.wrap(payload)));
                case DATA -> hex();
            };
        } catch (ProtocolException | RuntimeException e) {
            body = hex() + " (" + e + ")";
        }
        return type + " ch=" + ch + " seq=" + Integer.toUnsignedString(seq) + " flags=" + Flags.describe(flags)
                + " size=" + payload.length + " " + body;
    }

    private String hex() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(payload.length, 24); i++) {
            sb.append(String.format("%02x", payload[i] & 0xFF));
        }
        return sb + (payload.length > 24 ? "..." : "");
    }
}
