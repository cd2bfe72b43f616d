package org.dapstream.it;

import org.dapstream.crypto.AeadFailure;
import org.dapstream.crypto.ClientHandshake;
import org.dapstream.crypto.FrameCipher;
import org.dapstream.crypto.HandshakeException;
import org.dapstream.crypto.HandshakeResult;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
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

    /** Where a server frame sealed under the stream key sat in the nonce space: (epoch, ch_id, seq_id). */
    record NonceUse(long epoch, int channel, int seq) {
    }

    private final Socket socket;
    private final java.io.OutputStream out;
    /** The WebSocket under this peer's bytes; null over TCP. */
    private final WebSocketWire webSocket;
    /** Every server frame on a channel opened with the stream key, in arrival order. */
    private final List<NonceUse> serverNonces = new ArrayList<>();
    private long receiveEpoch;
    private long sendEpoch;
    private final InputStream in;
    private final FrameDecoder decoder = new FrameDecoder(FrameLimits.HARD_CAP_FRAME_PAYLOAD);
    private final List<Frame> received = new ArrayList<>();
    private final int[] seqOut = new int[65536];
    /** After {@link #handshake()}: seals what we send, opens what the server sends. */
    private FrameCipher sealer;
    private FrameCipher opener;
    private ClientHandshake clientHandshake;
    private HandshakeResult handshake;
    /** The features CLIENT_HELLO offers. */
    private int features;

    RawPeer(int port, int readTimeoutMillis) throws IOException {
        this(port, readTimeoutMillis, null);
    }

    /** From a chosen loopback source address (127.0.0.0/8), to look like another host. */
    RawPeer(int port, int readTimeoutMillis, String localAddress) throws IOException {
        socket = localAddress == null ? new Socket("127.0.0.1", port)
                : new Socket(java.net.InetAddress.getByName("127.0.0.1"), port, java.net.InetAddress.getByName(localAddress), 0);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        webSocket = null;
    }

    private RawPeer(WebSocketWire wire) throws IOException {
        socket = wire.socket();
        webSocket = wire;
        in = wire.in();
        out = wire.out();
    }

    /** The same peer over WebSocket ({@code /stream}, subprotocol offered): each {@link #send} is one binary message. */
    static RawPeer overWebSocket(int port, int readTimeoutMillis) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        WebSocketWire wire = new WebSocketWire(socket, org.dapstream.transport.WebSocketSettings.DEFAULT_PATH,
                org.dapstream.transport.WebSocketFraming.SUBPROTOCOL);
        if (wire.status() != 101) {
            socket.close();
            throw new IOException("WebSocket upgrade refused: " + wire.responseHead());
        }
        return new RawPeer(wire);
    }

    /** The WebSocket under this peer, null over TCP. */
    WebSocketWire webSocket() {
        return webSocket;
    }

    RawPeer send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** A well-formed frame with this peer's next seq on {@code channel}: sealed once the handshake is done. */
    byte[] frame(PacketType type, int channel, int flags, byte[] payload) {
        if (sealer == null) {
            return FrameHeader.frame(type, seqOut[channel]++, channel, flags, payload);
        }
        byte[] frame = new byte[FrameHeader.SIZE + payload.length + FrameCipher.TAG_SIZE];
        FrameHeader.write(frame, 0, payload.length + FrameCipher.TAG_SIZE, type, seqOut[channel]++, channel, flags | Flags.ENCRYPTED);
        System.arraycopy(payload, 0, frame, FrameHeader.SIZE, payload.length);
        sealer.seal(ByteBuffer.wrap(frame), 0, payload.length);
        return frame;
    }

    /** A frame without encryption even after the handshake, with the next seq. */
    byte[] plainFrame(PacketType type, int channel, byte[] payload) {
        return FrameHeader.frame(type, seqOut[channel]++, channel, 0, payload);
    }

    /** This peer's CLIENT_HELLO frame (the handshake starts; {@link #finishHandshake()} completes it). */
    /** Offers {@code mask} (see {@code Features}) in the next CLIENT_HELLO. */
    RawPeer offering(int mask) {
        features = mask;
        return this;
    }

    /** The features the server chose (after the handshake). */
    int agreedFeatures() {
        return handshake.features();
    }

    byte[] clientHello() {
        clientHandshake = new ClientHandshake(HandshakeSettings.defaults(IDENTITY, RANDOM).withFeatures(features));
        return plainFrame(PacketType.CONTROL, 0, clientHandshake.start());
    }

    /** The secure handshake as the connector; from then on frames are sealed and opened. */
    RawPeer handshake() throws IOException {
        send(clientHello());
        return finishHandshake();
    }

    RawPeer finishHandshake() throws IOException {
        try {
            Frame sh = await(PacketType.CONTROL, 0);
            send(plainFrame(PacketType.CONTROL, 0, clientHandshake.onServerHello(sh.payload())));
            Frame sf = await(PacketType.CONTROL, 0);
            handshake = clientHandshake.onServerFinish(sf.payload());
        } catch (HandshakeException e) {
            throw new IOException("handshake failed: " + e.code() + " " + e.getMessage(), e);
        }
        sealer = handshake.secrets().sending().cipher();
        opener = handshake.secrets().receiving().cipher();
        return this;
    }

    /** CLIENT_HELLO and SERVER_HELLO; returns the CLIENT_FINISH this side would send (the test may spoil it). */
    byte[] handshakeUpToClientFinish() throws IOException {
        send(clientHello());
        Frame sh = await(PacketType.CONTROL, 0);
        try {
            return clientHandshake.onServerHello(sh.payload());
        } catch (HandshakeException e) {
            throw new IOException("handshake failed: " + e.code() + " " + e.getMessage(), e);
        }
    }

    static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    static final NodeIdentity IDENTITY = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);

    RawPeer sendFrame(PacketType type, int channel, byte[] payload) throws IOException {
        return send(frame(type, channel, 0, payload));
    }

    /** The plaintext HELLO of a node with security disabled. */
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

    /**
     * Reads until the server closes and asserts how the stream ended: an ERROR on ch 0 with
     * {@code expected} and a reason, as the last frame. {@code name} labels the failures.
     */
    void assertEndsWithError(String name, ErrorCode expected) throws IOException, ProtocolException {
        List<Frame> frames = readUntilClosed();
        Frame error = frames.stream().filter(f -> f.type() == PacketType.ERROR && f.channel() == 0).findFirst().orElse(null);
        org.junit.jupiter.api.Assertions.assertNotNull(error, name + ": no ERROR on ch 0 before the close; got " + frames);
        CloseReason reason = error.closeReason();
        org.junit.jupiter.api.Assertions.assertEquals(expected, reason.errorCode(), name + ": " + reason);
        org.junit.jupiter.api.Assertions.assertFalse(reason.reason().isBlank(), name + ": the ERROR says what was wrong");
        org.junit.jupiter.api.Assertions.assertEquals(error, frames.get(frames.size() - 1), name + ": ERROR is the last frame");
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
                int size = payload.remaining();
                if ((flags & Flags.ENCRYPTED) != 0) {
                    if (opener == null) {
                        throw new ProtocolException(ErrorCode.DECRYPT_FAILED, "server sealed a frame before the handshake ended");
                    }
                    try {
                        size = opener.open(size, type.code(), seq, ch, flags, payload);
                    } catch (AeadFailure e) {
                        throw new ProtocolException(ErrorCode.DECRYPT_FAILED, "server frame failed to open");
                    }
                }
                byte[] copy = new byte[size];
                payload.get(copy);
                if ((flags & Flags.ENCRYPTED) != 0 && ch != 0) {
                    serverNonces.add(new NonceUse(receiveEpoch, ch, seq));
                }
                if ((flags & Flags.ENCRYPTED) != 0 && ch == 0 && type == PacketType.CONTROL && copy.length > 0
                        && copy[0] == KEY_UPDATE_KIND && ControlCodec.decode(ByteBuffer.wrap(copy)) instanceof ControlMessage.KeyUpdate u
                        && u.channelId() == 0) {
                    // The server's frames after this one are sealed under its next epoch.
                    opener.close();
                    opener = handshake.secrets().receiving().next();
                    receiveEpoch++;
                }
                received.add(new Frame(type, seq, ch, flags, copy));
            });
        } catch (ProtocolException e) {
            throw new IOException("server sent a malformed frame: " + e, e);
        }
    }

    private static final byte KEY_UPDATE_KIND = 0x0A;

    /** Server frames on channels under the stream key, with the epoch each was sealed under. */
    List<NonceUse> serverNonces() {
        return serverNonces;
    }

    /** The handshake's outcome (for channel keys). */
    HandshakeResult handshakeResult() {
        return handshake;
    }

    /** KEY_UPDATE of the stream key: what this peer sends after it is sealed under the next epoch. */
    RawPeer keyUpdate() throws IOException {
        sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.KeyUpdate(0, sendEpoch + 1)));
        sealer.close();
        sealer = handshake.secrets().sending().next();
        sendEpoch++;
        return this;
    }

    /** Starts the seq_id of {@code channel} at 0 again, as for a channel newly opened on a used id. */
    void resetSeq(int channel) {
        seqOut[channel] = 0;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Ends the connection with a TCP reset (SO_LINGER 0), as a crashed or cut-off peer does. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        if (handshake != null) {
            handshake.secrets().close();
            sealer.close();
            opener.close();
        }
        socket.close();
    }
}
