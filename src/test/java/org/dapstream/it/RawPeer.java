package org.dapstream.it;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-driven peer on a real socket: writes whatever bytes a test wants (valid or not)
 * and reads back the server's frames. For malformed-input and timeout tests.
 */
final class RawPeer implements AutoCloseable {
    /** A frame the server sent. */
    record Frame(PacketType type, int seq, int channel, int flags, byte[] payload) {
        CloseReason closeReason() throws ProtocolException {
            return CloseReason.decode(ByteBuffer.wrap(payload));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final FrameDecoder decoder = new FrameDecoder(FrameLimits.HARD_CAP_FRAME_PAYLOAD);
    private final List<Frame> received = new ArrayList<>();
    private final int[] seqOut = new int[65536];

    RawPeer(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
    }

    RawPeer send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    /** A well-formed frame with this peer's next seq on {@code channel}. */
    byte[] frame(PacketType type, int channel, int flags, byte[] payload) {
        return FrameHeader.frame(type, seqOut[channel]++, channel, flags, payload);
    }

    RawPeer sendFrame(PacketType type, int channel, byte[] payload) throws IOException {
        return send(frame(type, channel, 0, payload));
    }

    RawPeer hello() throws IOException {
        return sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(
                new ControlMessage.Hello(ControlMessage.PROTOCOL_VERSION, 0, new NodeAddress(0x1234))));
    }

    RawPeer open(int channel, ChannelType type) throws IOException {
        return sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.OpenChannel(channel, type, 0)));
    }

    /** Reads until the server closes the connection (or the read timeout passes); returns all frames. */
    List<Frame> readUntilClosed() throws IOException {
        byte[] buf = new byte[8192];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return received;
                }
                feed(buf, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server did not close the connection; frames so far: " + received, e);
        } catch (java.net.SocketException e) {
            return received; // reset by the server after its ERROR: also a close
        }
    }

    /** Reads until a frame matching {@code type} on {@code channel} arrives. */
    Frame await(PacketType type, int channel) throws IOException {
        byte[] buf = new byte[8192];
        while (true) {
            for (Frame f : received) {
                if (f.type() == type && f.channel() == channel) {
                    received.remove(f);
                    return f;
                }
            }
            int n = in.read(buf);
            if (n < 0) {
                throw new AssertionError("connection closed while waiting for " + type + " on ch " + channel + "; got " + received);
            }
            feed(buf, n);
        }
    }

    private void feed(byte[] buf, int n) throws IOException {
        try {
            decoder.feed(ByteBuffer.wrap(buf, 0, n), (type, seq, ch, flags, payload) -> {
                byte[] copy = new byte[payload.remaining()];
                payload.get(copy);
                received.add(new Frame(type, seq, ch, flags, copy));
            });
        } catch (ProtocolException e) {
            throw new IOException("server sent a malformed frame: " + e, e);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
