package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.StreamCaps;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.stream.StreamState;
import org.dapstream.transport.Admission;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.dapstream.transport.WebSocketFraming;
import org.dapstream.transport.WebSocketSettings;
import org.dapstream.transport.WebSocketStreamServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The WebSocket transport over real sockets: the secure handshake and an ECHO round trip with
 * the Java client, and what the node does with WebSocket input a stream cannot carry, each row
 * with its own outcome (PROTOCOL.md, "WebSocket transport"): a text message, a fragmented
 * message (accepted), a message over the limit in fragments or in one frame, close codes valid
 * and reserved, a missing subprotocol, a plain HTTP request. The server's message limit is the
 * smallest allowed (64 KiB) so rows reach it quickly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebSocketTransportTest {
    static final int READ_TIMEOUT_MS = 10_000;
    static final int LIMIT = WebSocketFraming.MAX_SENT_MESSAGE;
    static final long WAIT_MILLIS = 10_000;

    private LoopbackServer server;

    @BeforeAll
    void start() throws Exception {
        server = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics(), Transport.WEBSOCKET,
                new WebSocketSettings(WebSocketSettings.DEFAULT_PATH, LIMIT));
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
    }

    @Test
    @Timeout(60)
    void theSecureHandshakeAndAnEchoRoundTripOverWebSocket() throws Exception {
        try (StreamClient client = LoopbackServer.client(StreamConfig.defaults())) {
            Stream stream = server.connect(client);
            assertEquals(StreamState.ACTIVE, stream.state());
            assertTrue(stream.encrypted(), "the secure handshake ran over the WebSocket");
            assertNotNull(stream.peerIdentity(), "the server proved its identity");
            LinkedBlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
            Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    byte[] copy = new byte[data.remaining()];
                    data.get(copy);
                    echoes.add(copy);
                }
            }).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            SecureRandom random = new SecureRandom();
            // 1 B, a full frame, and 300 KiB: fragmented, its batches larger than one WebSocket message.
            for (int size : new int[] {1, 64 * 1024, 300 * 1024}) {
                byte[] message = new byte[size];
                random.nextBytes(message);
                echo.send(PacketType.DATA, message).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                byte[] back = echoes.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                assertNotNull(back, size + " B: no echo");
                assertArrayEquals(message, back, size + " B: echoed byte for byte");
            }
            assertEquals(1, server.server().streams().size(), "the stream is the server's, through its admission");
            stream.close();
            awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended with the CLOSE");
        }
    }

    @Test
    void aTextMessageEndsTheStreamWithProtocolViolationAndClose1003() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.handshake();
            peer.webSocket().send(WebSocketWire.TEXT, true, "hello".getBytes());
            peer.assertEndsWithError("text message", ErrorCode.PROTOCOL_VIOLATION);
            assertEquals(WebSocketFraming.CLOSE_UNSUPPORTED_DATA, peer.webSocket().closeFrame().closeCode());
        }
        awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended");
    }

    @Test
    void aTextMessageBeforeTheHandshakeIsRefusedTheSameWay() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.webSocket().send(WebSocketWire.TEXT, true, "{\"hello\":1}".getBytes());
            peer.assertEndsWithError("text message in setup", ErrorCode.PROTOCOL_VIOLATION);
            assertEquals(WebSocketFraming.CLOSE_UNSUPPORTED_DATA, peer.webSocket().closeFrame().closeCode());
        }
    }

    @Test
    void aFragmentedBinaryMessageIsAcceptedAndFramesMaySpanMessages() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            // CLIENT_HELLO in three fragments of one message, the first cut inside the 12-byte header.
            byte[] hello = peer.clientHello();
            WebSocketWire ws = peer.webSocket();
            ws.send(WebSocketWire.BINARY, false, Arrays.copyOfRange(hello, 0, 5));
            ws.send(WebSocketWire.CONTINUATION, false, Arrays.copyOfRange(hello, 5, 100));
            ws.send(WebSocketWire.CONTINUATION, true, Arrays.copyOfRange(hello, 100, hello.length));
            peer.finishHandshake();
            // One DATA frame cut over two messages, with a ping between.
            byte[] data = peer.open(1, ChannelType.ECHO).frame(PacketType.DATA, 1, 0, new byte[] {1, 2, 3, 4});
            ws.send(WebSocketWire.BINARY, true, Arrays.copyOfRange(data, 0, 7));
            ws.send(WebSocketWire.PING, true, new byte[] {9});
            ws.send(WebSocketWire.BINARY, true, Arrays.copyOfRange(data, 7, data.length));
            RawPeer.Frame echo = peer.await(PacketType.DATA, 1);
            assertArrayEquals(new byte[] {1, 2, 3, 4}, echo.payload(), "echoed");
        }
    }

    @Test
    void fragmentsAddingUpToMoreThanTheLimitEndTheStreamWithClose1009() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.handshake();
            WebSocketWire ws = peer.webSocket();
            // The start of one full DATA frame (12 + 64 KiB), so the bytes up to the limit are a frame still in progress.
            byte[] frame = FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]);
            ws.send(WebSocketWire.BINARY, false, Arrays.copyOfRange(frame, 0, LIMIT / 2));
            ws.send(WebSocketWire.CONTINUATION, false, Arrays.copyOfRange(frame, LIMIT / 2, LIMIT));
            ws.send(WebSocketWire.CONTINUATION, true, Arrays.copyOfRange(frame, LIMIT, LIMIT + 1));
            peer.assertEndsWithError("message over the limit", ErrorCode.PROTOCOL_VIOLATION);
            assertEquals(WebSocketFraming.CLOSE_MESSAGE_TOO_BIG, peer.webSocket().closeFrame().closeCode());
        }
        awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended");
    }

    @Test
    void aFrameHeaderAnnouncingMoreThanTheLimitDropsTheConnectionUnread() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.handshake();
            peer.webSocket().sendHeader(WebSocketWire.BINARY, true, LIMIT + 1L);
            assertConnectionDropped(peer.webSocket());
            assertNull(peer.webSocket().closeFrame(), "dropped without a close frame");
        }
        awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended");
    }

    @Test
    void aValidCloseCodeIsEchoedAndEndsTheStream() throws Exception {
        try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
            peer.handshake();
            awaitTrue(() -> server.server().streams().size() == 1, "the stream is up");
            peer.webSocket().sendClose(4000);
            WebSocketWire.Frame close = readUntilClose(peer.webSocket());
            assertEquals(4000, close.closeCode(), "the close code echoed");
        }
        awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended");
    }

    @Test
    void aReservedCloseCodeDropsTheConnectionWithoutAnEcho() throws Exception {
        for (int code : new int[] {999, 1005, 1006, 1015, 2999}) {
            try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
                peer.handshake();
                peer.webSocket().sendClose(code);
                assertConnectionDropped(peer.webSocket());
                assertNull(peer.webSocket().closeFrame(), code + ": no close frame echoed");
            }
            awaitTrue(() -> server.server().streams().isEmpty(), code + ": the server's stream ended");
        }
    }

    @Test
    void brokenWebSocketFramingDropsTheConnectionWithoutAnEcho() throws Exception {
        byte[][] rows = {
                {(byte) 0x82, 0x01, 0x00}, // an unmasked binary frame from the client
                WebSocketWire.frame(WebSocketWire.CONTINUATION, true, new byte[] {1}), // a continuation outside a message
                WebSocketWire.frame(WebSocketWire.PING, true, new byte[126]), // a control frame over 125 bytes
        };
        for (byte[] row : rows) {
            try (RawPeer peer = server.rawPeer(READ_TIMEOUT_MS)) {
                peer.handshake();
                peer.webSocket().sendRaw(row);
                assertConnectionDropped(peer.webSocket());
                assertNull(peer.webSocket().closeFrame(), "no close frame");
            }
            awaitTrue(() -> server.server().streams().isEmpty(), "the server's stream ended");
        }
    }

    @Test
    void anUpgradeWithoutTheSubprotocolGets400AndAPlainRequest426() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.webSocketPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            WebSocketWire wire = new WebSocketWire(socket, WebSocketSettings.DEFAULT_PATH, "chat, other");
            assertEquals(400, wire.status(), wire.responseHead());
        }
        try (Socket socket = new Socket("127.0.0.1", server.webSocketPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.getOutputStream().write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            String head = new String(socket.getInputStream().readNBytes(12));
            assertEquals("HTTP/1.1 426", head);
        }
        assertEquals(0, server.server().connections(), "nothing was admitted");
    }

    @Test
    void aClientToAServerThatIsNotANodeFailsWithTheReason() throws Exception {
        try (StreamClient client = LoopbackServer.client(StreamConfig.defaults())) {
            Exception e = assertThrows(Exception.class, () -> client.connect(java.net.URI.create("http://127.0.0.1:1/stream"))
                    .get(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            assertTrue(String.valueOf(e.getCause()).contains("ws://"), String.valueOf(e));
        }
    }

    @Test
    @Timeout(60)
    void aDrainingNodeRefusesANewWebSocketStreamWithGoingAwayAndClose1000() throws Exception {
        try (LoopbackServer draining = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics(),
                Transport.WEBSOCKET)) {
            try (StreamClient client = LoopbackServer.client(StreamConfig.defaults())) {
                Stream before = draining.connect(client);
                var drained = draining.server().drain(Duration.ofSeconds(5), Duration.ofSeconds(1), "");
                assertNotNull(before.goingAway().get(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the stream already open heard GOAWAY");
                try (RawPeer peer = draining.rawPeer(READ_TIMEOUT_MS)) {
                    peer.assertEndsWithError("new WebSocket stream while draining", ErrorCode.GOING_AWAY);
                    assertEquals(WebSocketFraming.CLOSE_NORMAL, peer.webSocket().closeFrame().closeCode(), "the ERROR says why");
                }
                long refused = draining.counters().errorsSent(ErrorCode.GOING_AWAY);
                assertTrue(refused >= 1, "counted: " + refused);
                before.close();
                Admission.DrainOutcome outcome = drained.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                assertEquals(1, outcome.streamsAtStart());
                assertEquals(1, outcome.closedByPeers());
            }
        }
    }

    @Test
    @Timeout(60)
    void theConnectionCapsCountTcpAndWebSocketTogether() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SecureRandom random = new SecureRandom();
        // One connection per address: a TCP stream takes it, so a WebSocket from the same address is refused.
        StreamServer streams = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ED25519, random),
                random)), null, new StreamCaps(10, 1)), ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
        WebSocketStreamServer ws = new WebSocketStreamServer(vertx, streams, "127.0.0.1", 0, 1, WebSocketSettings.defaults());
        try {
            streams.start().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            ws.start().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            try (RawPeer tcp = new RawPeer(streams.port(), READ_TIMEOUT_MS).handshake()) {
                try (RawPeer refused = RawPeer.overWebSocket(ws.port(), READ_TIMEOUT_MS)) {
                    refused.assertEndsWithError("WebSocket over the per-address cap", ErrorCode.RESOURCE_EXHAUSTED);
                    assertEquals(WebSocketFraming.CLOSE_NORMAL, refused.webSocket().closeFrame().closeCode(), "the ERROR says why");
                }
                assertEquals(1, streams.connections(), "the TCP stream alone holds the cap");
            }
            awaitTrue(() -> streams.connections() == 0, "the TCP stream's end freed the cap");
            try (RawPeer admitted = RawPeer.overWebSocket(ws.port(), READ_TIMEOUT_MS).handshake()) {
                assertEquals(1, streams.connections(), "now the WebSocket holds it");
            }
        } finally {
            ws.stop().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            streams.stop().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Reads until the connection ends; fails if the server sends a frame of the stream meanwhile or stays open. */
    private static void assertConnectionDropped(WebSocketWire ws) throws IOException {
        try {
            while (true) {
                WebSocketWire.Frame f = ws.read();
                assertFalse(f.opcode() == WebSocketWire.CLOSE, "no close frame, got code " + f.closeCode());
            }
        } catch (EOFException | SocketException e) {
            // the end of the connection: what is expected
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open", e);
        }
    }

    private static WebSocketWire.Frame readUntilClose(WebSocketWire ws) throws IOException {
        while (true) {
            WebSocketWire.Frame f = ws.read();
            if (f.opcode() == WebSocketWire.CLOSE) {
                return f;
            }
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(10);
        }
    }
}
