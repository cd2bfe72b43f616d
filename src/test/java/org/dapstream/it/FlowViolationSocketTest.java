package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream.Builder;

/**
 * Peers that break flow control or fragmentation over a real socket: each row is
 * a hand-driven secure peer ({@link RawPeer}) answered by an ERROR on ch 0 with its exact
 * code, then the close; a healthy client stream on the same server keeps echoing after
 * every row. A plain-JUnit server rather than MalformedInputTest's Quarkus one, because the
 * rows need a service that never consumes (to use up a window) and a small reassembly limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ParameterizedClass(name = "over {0}")
@EnumSource(Transport.class)
class FlowViolationSocketTest {
    /** The same test over TCP and over WebSocket. */
    @Parameter
    Transport transport;

    /** Served by a handler that keeps every packet unread (pull mode), so credit never comes back. */
    static final ChannelType STALLED = ChannelType.custom(0x21);
    /** Small limits so rows reach them quickly: 1 MiB messages, 1 MiB of reassembly per stream. */
    static final int MAX_MESSAGE = 1024 * 1024;
    static final int READ_TIMEOUT_MS = 10_000;
    static final int FULL_FRAME = FrameLimits.DEFAULT_MESSAGE_PAYLOAD;

    private LoopbackServer server;
    private StreamClient client;
    private Probe healthy;

    interface Script {
        void run(RawPeer peer) throws Exception;
    }

    @BeforeAll
    void start() throws Exception {
        ChannelRegistry services = ChannelRegistry.withDiagnostics().register(STALLED, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true);
            }
        });
        FlowConfig flow = FlowConfig.defaults().withMessageLimits(MAX_MESSAGE, MAX_MESSAGE, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT);
        server = LoopbackServer.start(StreamConfig.defaults().withFlow(flow), services, transport);
        client = LoopbackServer.client(StreamConfig.defaults());
        healthy = Probe.open(server.connect(client), "healthy stream");
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        server.close();
    }

    static java.util.stream.Stream<Arguments> rows() {
        Builder<Arguments> rows = java.util.stream.Stream.builder();
        rows.add(row("channel window exceeded by one byte", ErrorCode.FLOW_CONTROL_VIOLATION, p -> {
            p.handshake().open(1, STALLED);
            fill(p, 1, FlowWindow.INITIAL_CHANNEL_WINDOW);
            p.sendFrame(PacketType.DATA, 1, new byte[1]);
        }));
        rows.add(row("stream window exceeded by one byte", ErrorCode.FLOW_CONTROL_VIOLATION, p -> {
            p.handshake();
            int channels = FlowWindow.INITIAL_STREAM_WINDOW / FlowWindow.INITIAL_CHANNEL_WINDOW;
            for (int c = 0; c <= channels; c++) {
                p.open(2 * c + 1, STALLED);
            }
            for (int c = 0; c < channels; c++) {
                fill(p, 2 * c + 1, FlowWindow.INITIAL_CHANNEL_WINDOW); // each channel within its own window
            }
            p.sendFrame(PacketType.DATA, 2 * channels + 1, new byte[1]);
        }));
        rows.add(row("CONTROL packets count against the window too", ErrorCode.FLOW_CONTROL_VIOLATION, p -> {
            p.handshake().open(1, STALLED);
            for (int sent = 0; sent <= FlowWindow.INITIAL_CHANNEL_WINDOW; sent += FULL_FRAME) {
                p.sendFrame(PacketType.CONTROL, 1, new byte[FULL_FRAME]);
            }
        }));
        rows.add(row("fragment of a message never started", ErrorCode.UNKNOWN_FRAGMENT, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(200_000, 65_536, 1000)))));
        rows.add(row("fragment skipping ahead", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(200_000, 0, 1000)));
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(200_000, 5000, 1000)));
        }));
        rows.add(row("fragment changing the message's total", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(200_000, 0, 1000)));
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(300_000, 1000, 1000)));
        }));
        rows.add(row("fragment past the message's end", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(2000, 0, 1000)));
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(2000, 1000, 1500)));
        }));
        rows.add(row("last fragment ending short", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(3000, 0, 1000)));
            p.send(p.frame(PacketType.DATA, 1, 0, fragment(3000, 1000, 1000)));
        }));
        rows.add(row("first fragment holding the whole message", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(1000, 0, 1000)))));
        rows.add(row("CONTROL in the middle of a fragmented message", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> {
            p.handshake().open(1, ChannelType.ECHO);
            p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(200_000, 0, 1000)));
            p.sendFrame(PacketType.CONTROL, 1, new byte[4]);
        }));
        rows.add(row("fragment shorter than its header", ErrorCode.FRAGMENT_OUT_OF_ORDER, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, new byte[5]))));
        rows.add(row("FRAGMENTED on a CONTROL packet", ErrorCode.FLAG_NOT_NEGOTIATED, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.CONTROL, 1, Flags.FRAGMENTED, fragment(200_000, 0, 1000)))));
        rows.add(row("message over maxMessageSize", ErrorCode.MESSAGE_TOO_LARGE, p -> p.handshake().open(1, ChannelType.ECHO)
                .send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(MAX_MESSAGE + 1, 0, 1000)))));
        rows.add(row("reassembly over maxReassemblyBytes (two messages at once)", ErrorCode.MESSAGE_TOO_LARGE, p -> {
            p.handshake().open(1, ChannelType.ECHO).open(3, ChannelType.ECHO);
            // Channel 1 reassembles most of a largest message; channel 3 then starts another:
            // each is within maxMessageSize, together they are over the stream's reassembly limit.
            int sent = 0;
            while (sent + FULL_FRAME <= MAX_MESSAGE - FULL_FRAME) {
                p.send(p.frame(PacketType.DATA, 1, Flags.FRAGMENTED, fragment(MAX_MESSAGE, sent, FULL_FRAME)));
                sent += FULL_FRAME;
            }
            p.send(p.frame(PacketType.DATA, 3, Flags.FRAGMENTED, fragment(MAX_MESSAGE, 0, FULL_FRAME)));
        }));
        rows.add(row("WINDOW_UPDATE growing the stream window past 2^31-1", ErrorCode.FLOW_CONTROL_VIOLATION, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, FlowWindow.MAX_WINDOW))));
        rows.add(row("WINDOW_UPDATE growing a channel window past 2^31-1", ErrorCode.FLOW_CONTROL_VIOLATION, p -> p.handshake()
                .open(1, ChannelType.ECHO).sendFrame(PacketType.CONTROL, 0, windowUpdate(1, FlowWindow.MAX_WINDOW))));
        rows.add(row("two WINDOW_UPDATEs summing past 2^31-1", ErrorCode.FLOW_CONTROL_VIOLATION, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, FlowWindow.MAX_WINDOW / 2))
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, FlowWindow.MAX_WINDOW / 2 + 1))));
        rows.add(row("WINDOW_UPDATE increment 0", ErrorCode.MALFORMED_CONTROL, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, 0))));
        rows.add(row("WINDOW_UPDATE increment over 2^31-1", ErrorCode.MALFORMED_CONTROL, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, 0x8000_0000L))));
        rows.add(row("short WINDOW_UPDATE", ErrorCode.MALFORMED_CONTROL, p -> p.handshake()
                .sendFrame(PacketType.CONTROL, 0, new byte[] {ControlMessage.KIND_WINDOW_UPDATE, 0, 0, 1})));
        rows.add(row("WINDOW_UPDATE before setup", ErrorCode.STREAM_NOT_READY, p -> p
                .sendFrame(PacketType.CONTROL, 0, windowUpdate(0, 1000))));
        return rows.build();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("rows")
    void answeredWithErrorAndClose(String name, ErrorCode expected, Script script) throws Exception {
        long sentBefore = server.counters().errorsSent(expected);
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            script.run(peer);
            peer.assertEndsWithError(name, expected);
        }
        assertEquals(sentBefore + 1, server.counters().errorsSent(expected), "counted by code");
        healthy.roundTrip();
    }

    @org.junit.jupiter.api.Test
    void aWindowUpdateForAChannelNotInTheTableIsIgnored() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.handshake().open(1, ChannelType.ECHO)
                    .sendFrame(PacketType.CONTROL, 0, windowUpdate(77, 1000))
                    .sendFrame(PacketType.DATA, 1, new byte[] {1, 2, 3});
            RawPeer.Frame echo = peer.await(PacketType.DATA, 1);
            assertEquals(3, echo.payload().length, "the stream goes on and echoes");
        }
        healthy.roundTrip();
    }

    /** Sends {@code bytes} of DATA on {@code channel} in full frames. */
    private static void fill(RawPeer p, int channel, int bytes) throws java.io.IOException {
        for (int sent = 0; sent < bytes; sent += FULL_FRAME) {
            p.sendFrame(PacketType.DATA, channel, new byte[Math.min(FULL_FRAME, bytes - sent)]);
        }
    }

    /** A fragment payload: {@code total u32 LE | offset u32 LE | length bytes of data}. */
    static byte[] fragment(long total, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(8 + length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) total).putInt((int) offset);
        return b.array();
    }

    /** WINDOW_UPDATE written by hand: {@code 11 | ch_id u16 LE | increment u32 LE}, any increment. */
    static byte[] windowUpdate(int channel, long increment) {
        return ByteBuffer.allocate(ControlCodec.WINDOW_UPDATE_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) ControlMessage.KIND_WINDOW_UPDATE).putShort((short) channel).putInt((int) increment).array();
    }

    private static Arguments row(String name, ErrorCode expected, Script script) {
        return Arguments.of(name, expected, script);
    }
}
