package org.dapstream.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The client side of RFC 6455 written out by hand on a blocking socket, so a test can send what
 * no WebSocket library would: text messages, fragments, frame headers announcing more than the
 * limit, reserved close codes. {@link #in()} and {@link #out()} carry the stream's bytes in
 * binary messages for {@link RawPeer}.
 */
final class WebSocketWire {
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CONTINUATION = 0x0;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;
    /** Largest HTTP response head read before the frames start. */
    static final int MAX_RESPONSE_HEAD = 8192;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A frame the server sent. */
    record Frame(int opcode, boolean fin, byte[] payload) {
        /** The status code of a close frame; 1005 (none) when it carries none. */
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    private final Socket socket;
    private final InputStream raw;
    private final OutputStream rawOut;
    /** The first close frame the server sent, or null. */
    private volatile Frame closeFrame;
    private final String responseHead;

    /** Connects and upgrades; {@code subprotocol} null offers none. */
    WebSocketWire(Socket socket, String path, String subprotocol) throws IOException {
        this.socket = socket;
        this.raw = socket.getInputStream();
        this.rawOut = socket.getOutputStream();
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + socket.getPort() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + (subprotocol == null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n") + "\r\n";
        rawOut.write(request.getBytes(StandardCharsets.US_ASCII));
        rawOut.flush();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = raw.read();
            if (b < 0 || head.size() > MAX_RESPONSE_HEAD) {
                break;
            }
            head.write(b);
        }
        responseHead = head.toString(StandardCharsets.US_ASCII);
    }

    /** The HTTP status of the upgrade's answer (101 when it upgraded). */
    int status() {
        String[] parts = responseHead.split(" ", 3);
        return parts.length < 2 ? -1 : Integer.parseInt(parts[1]);
    }

    String responseHead() {
        return responseHead;
    }

    /** A masked frame, as a client sends. */
    void send(int opcode, boolean fin, byte[] payload) throws IOException {
        rawOut.write(frame(opcode, fin, payload));
        rawOut.flush();
    }

    /** Bytes as they are, for framing no client may send (an unmasked frame, say). */
    void sendRaw(byte[] bytes) throws IOException {
        rawOut.write(bytes);
        rawOut.flush();
    }

    /** Only the header of a masked frame announcing {@code length} payload bytes (none follow). */
    void sendHeader(int opcode, boolean fin, long length) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, opcode, fin, length);
        out.write(new byte[4]); // the mask
        rawOut.write(out.toByteArray());
        rawOut.flush();
    }

    /** A close frame with {@code code} (any value, valid or not) and no reason. */
    void sendClose(int code) throws IOException {
        send(CLOSE, true, new byte[] {(byte) (code >>> 8), (byte) code});
    }

    static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, opcode, fin, payload.length);
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        out.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ mask[i & 3]);
        }
        return out.toByteArray();
    }

    private static void header(ByteArrayOutputStream out, int opcode, boolean fin, long length) {
        out.write((fin ? 0x80 : 0) | opcode);
        if (length < 126) {
            out.write(0x80 | (int) length);
        } else if (length < 65536) {
            out.write(0x80 | 126);
            out.write((int) (length >>> 8));
            out.write((int) length);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (length >>> (8 * i)));
            }
        }
    }

    /** The next frame from the server; -1 opcode-less end as EOFException. */
    Frame read() throws IOException {
        int b0 = raw.read();
        if (b0 < 0) {
            throw new EOFException("connection closed");
        }
        int b1 = readByte();
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (readByte() << 8) | readByte();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte();
            }
        }
        if ((b1 & 0x80) != 0) {
            throw new IOException("a server frame is never masked");
        }
        byte[] payload = raw.readNBytes((int) length);
        if (payload.length < length) {
            throw new EOFException("connection closed inside a frame");
        }
        Frame f = new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
        if (f.opcode() == CLOSE && closeFrame == null) {
            closeFrame = f;
        }
        return f;
    }

    private int readByte() throws IOException {
        int b = raw.read();
        if (b < 0) {
            throw new EOFException("connection closed inside a frame header");
        }
        return b;
    }

    /** The close frame the server sent, null if none (yet). */
    Frame closeFrame() {
        return closeFrame;
    }

    /** The payload bytes of the server's binary messages; end of stream at its close frame or the connection's end. */
    InputStream in() {
        return new InputStream() {
            private byte[] current = new byte[0];
            private int at;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                while (at == current.length) {
                    if (ended) {
                        return -1;
                    }
                    Frame f;
                    try {
                        f = WebSocketWire.this.read();
                    } catch (EOFException e) {
                        ended = true;
                        return -1;
                    }
                    switch (f.opcode()) {
                        case BINARY, CONTINUATION -> {
                            current = f.payload();
                            at = 0;
                        }
                        case CLOSE -> ended = true;
                        case PING -> send(PONG, true, f.payload());
                        case TEXT -> throw new IOException("the server sent a text message");
                        default -> { }
                    }
                }
                int n = Math.min(len, current.length - at);
                System.arraycopy(current, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    /** Each write is one binary message. */
    OutputStream out() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                byte[] payload = new byte[len];
                System.arraycopy(b, off, payload, 0, len);
                send(BINARY, true, payload);
            }
        };
    }

    Socket socket() {
        return socket;
    }
}
