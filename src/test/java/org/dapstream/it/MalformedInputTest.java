package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream.Builder;

/**
 * Bad input over real sockets against the server Quarkus started: each row is answered by
 * an ERROR frame on ch 0 with its own code, then the connection closes; meanwhile a healthy
 * stream on the same server keeps echoing, checked after every row.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedInputTest {
    /** Longer than the test profile's setup (2 s) and keepalive (1 s) timeouts. */
    private static final int READ_TIMEOUT_MS = 10_000;

    @Inject
    StreamEndpoint endpoint;

    private StreamClient client;
    private Channel healthy;
    private final LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
    private int healthyCount;

    /** What the row's peer sends; a function of a fresh peer so rows can use its seq counters. */
    interface Script {
        void run(RawPeer peer) throws Exception;
    }

    @BeforeAll
    void openHealthyStream() throws Exception {
        client = new StreamClient(ClientOptions.defaults());
        Stream stream = client.connect("127.0.0.1", endpoint.server().port()).get(5, TimeUnit.SECONDS);
        healthy = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                echoes.add(StandardCharsets.UTF_8.decode(data).toString());
            }
        }).get(5, TimeUnit.SECONDS);
    }

    @AfterAll
    void closeHealthyStream() {
        client.close();
    }

    static java.util.stream.Stream<Arguments> rows() {
        Builder<Arguments> rows = java.util.stream.Stream.builder();
        rows.add(row("truncated header", ErrorCode.TRUNCATED_FRAME, p -> p.handshake().send(new byte[] {8, 0, 0, 0, 1})));
        rows.add(row("truncated payload", ErrorCode.TRUNCATED_FRAME, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(java.util.Arrays.copyOf(p.frame(PacketType.DATA, 1, 0, new byte[100]), 50))));
        rows.add(row("size over the limit", ErrorCode.FRAME_TOO_LARGE, p -> p.handshake()
                .send(header(65_793, 0x01, 0, 1, Flags.ENCRYPTED))));
        rows.add(row("size 0xFFFFFFFF", ErrorCode.FRAME_TOO_LARGE, p -> p.send(header(-1, 0x01, 0, 1, 0))));
        rows.add(row("unknown packet type", ErrorCode.UNKNOWN_PACKET_TYPE, p -> p.handshake().send(header(0, 0x06, 0, 1, 0))));
        rows.add(row("reserved flag bits", ErrorCode.RESERVED_FLAGS, p -> p.handshake().send(header(0, 0x01, 0, 1, 0x08))));
        rows.add(row("flag not negotiated", ErrorCode.FLAG_NOT_NEGOTIATED, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.DATA, 1, Flags.COMPRESSED, new byte[4]))));
        rows.add(row("unknown channel", ErrorCode.UNKNOWN_CHANNEL, p -> p.handshake().sendFrame(PacketType.DATA, 7, new byte[3])));
        rows.add(row("closed channel", ErrorCode.CHANNEL_CLOSED, p -> {
            p.handshake().open(1, ChannelType.ECHO).sendFrame(PacketType.CLOSE, 1, CloseReason.of(ErrorCode.NORMAL, "").encode());
            p.await(PacketType.CLOSE, 1);
            p.sendFrame(PacketType.DATA, 1, new byte[3]);
        }));
        rows.add(row("gap in seq", ErrorCode.BAD_SEQUENCE, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.frame(PacketType.DATA, 1, 0, new byte[3]); // sealed and never sent: the next frame skips a seq
            p.sendFrame(PacketType.DATA, 1, new byte[3]);
        }));
        rows.add(row("replayed frame", ErrorCode.BAD_SEQUENCE, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            byte[] frame = p.frame(PacketType.DATA, 1, 0, new byte[3]);
            p.send(frame).send(frame);
        }));
        rows.add(row("reordered frames", ErrorCode.BAD_SEQUENCE, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            byte[] first = p.frame(PacketType.DATA, 1, 0, new byte[3]);
            byte[] second = p.frame(PacketType.DATA, 1, 0, new byte[3]);
            p.send(second).send(first);
        }));
        rows.add(row("repeated seq on ch 0", ErrorCode.BAD_SEQUENCE, p -> {
            byte[] hello = p.clientHello();
            p.send(hello).send(hello);
        }));
        rows.add(row("tampered ciphertext", ErrorCode.DECRYPT_FAILED, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            byte[] frame = p.frame(PacketType.DATA, 1, 0, new byte[8]);
            frame[FrameHeader.SIZE + 3] ^= 0x40;
            p.send(frame);
        }));
        rows.add(row("ENCRYPTED flag stripped", ErrorCode.NOT_ENCRYPTED, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            byte[] frame = p.frame(PacketType.DATA, 1, 0, new byte[8]);
            frame[FrameHeader.OFFSET_FLAGS] = 0;
            p.send(frame);
        }));
        rows.add(row("plaintext frame after the handshake", ErrorCode.NOT_ENCRYPTED, p -> p.handshake()
                .send(p.plainFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.OpenChannel(1, ChannelType.ECHO, 0))))));
        rows.add(row("plaintext HELLO to a secure node", ErrorCode.SECURITY_REQUIRED, RawPeer::hello));
        rows.add(row("short CLIENT_HELLO", ErrorCode.MALFORMED_HANDSHAKE, p -> p.sendFrame(PacketType.CONTROL, 0, new byte[] {0x06, 1, 0})));
        rows.add(row("CLIENT_HELLO with no common suite", ErrorCode.NO_COMMON_SUITE, p -> {
            byte[] hello = p.clientHello();
            hello[FrameHeader.SIZE + 3] = 0x40; // suites: only an undefined bit
            hello[FrameHeader.SIZE + 4] = 0;
            p.send(hello);
        }));
        rows.add(row("forged CLIENT_FINISH MAC", ErrorCode.BAD_FINISHED, p -> {
            byte[] finish = p.handshakeUpToClientFinish();
            finish[finish.length - 1] ^= 1;
            p.send(p.plainFrame(PacketType.CONTROL, 0, finish));
        }));
        rows.add(row("KEY_UPDATE skipping an epoch", ErrorCode.BAD_KEY_UPDATE, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.KeyUpdate(0, 5)))));
        rows.add(row("data before setup", ErrorCode.STREAM_NOT_READY, p -> p.sendFrame(PacketType.DATA, 1, new byte[3])));
        rows.add(row("open before setup", ErrorCode.STREAM_NOT_READY, p -> p.open(1, ChannelType.ECHO)));
        rows.add(row("garbage (an HTTP request)", ErrorCode.FRAME_TOO_LARGE,
                p -> p.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
        rows.add(row("unknown control kind", ErrorCode.MALFORMED_CONTROL, p -> p.handshake().sendFrame(PacketType.CONTROL, 0, new byte[] {0x7F})));
        rows.add(row("short OPEN_CHANNEL", ErrorCode.MALFORMED_CONTROL, p -> p.handshake().sendFrame(PacketType.CONTROL, 0, new byte[] {0x03, 1, 0})));
        rows.add(row("wrong protocol version", ErrorCode.UNSUPPORTED_VERSION, p -> {
            byte[] hello = p.clientHello();
            hello[FrameHeader.SIZE + 1] = 9;
            p.send(hello);
        }));
        rows.add(row("even channel id from the connector", ErrorCode.BAD_CHANNEL_ID, p -> p.handshake().open(2, ChannelType.ECHO)));
        rows.add(row("keepalive on a channel", ErrorCode.MALFORMED_FRAME, p -> p.handshake().open(1, ChannelType.ECHO)
                .sendFrame(PacketType.KEEPALIVE, 1, new KeepAlivePayload(false, 1).encode())));
        rows.add(row("DATA on ch 0", ErrorCode.PROTOCOL_VIOLATION, p -> p.handshake().sendFrame(PacketType.DATA, 0, new byte[1])));
        rows.add(row("silent before setup", ErrorCode.SETUP_TIMEOUT, p -> { }));
        rows.add(row("slowloris handshake (CLIENT_HELLO, then nothing)", ErrorCode.SETUP_TIMEOUT, p -> p.send(p.clientHello())));
        rows.add(row("silent after setup", ErrorCode.KEEPALIVE_TIMEOUT, RawPeer::handshake));
        return rows.build();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("rows")
    void answeredWithErrorAndClose(String name, ErrorCode expected, Script script) throws Exception {
        long timeoutsBefore = endpoint.counters().keepAliveTimeouts();
        long sentBefore = endpoint.counters().errorsSent(expected);
        try (RawPeer peer = new RawPeer(endpoint.server().port(), READ_TIMEOUT_MS)) {
            script.run(peer);
            peer.assertEndsWithError(name, expected);
        }
        assertEquals(sentBefore + 1, endpoint.counters().errorsSent(expected), "counted by code");
        if (expected == ErrorCode.KEEPALIVE_TIMEOUT) {
            assertEquals(timeoutsBefore + 1, endpoint.counters().keepAliveTimeouts(), "keepalive timeouts are counted");
        }
        String probe = "still healthy after " + name + " #" + (++healthyCount);
        healthy.write(PacketType.DATA, probe.getBytes(StandardCharsets.UTF_8));
        assertEquals(probe, echoes.poll(5, TimeUnit.SECONDS), "the healthy stream is unaffected");
        assertTrue(healthy.stream().active());
    }

    private static Arguments row(String name, ErrorCode expected, Script script) {
        return Arguments.of(name, expected, script);
    }

    /** A raw header, any field value (including ones our writer refuses). */
    private static byte[] header(int size, int type, int seq, int channel, int flags) {
        ByteBuffer b = ByteBuffer.allocate(FrameHeader.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(size).put((byte) type).putInt(seq).putShort((short) channel).put((byte) flags);
        return b.array();
    }
}
