package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.dapstream.transport.WebSocketFraming;
import org.dapstream.transport.WebSocketSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Streams over WebSocket on the application's own HTTP server (Quarkus, the HTTP port): the Java
 * client's secure handshake and an ECHO round trip at {@code /stream}, the stream counted by the
 * stream endpoint's server like a TCP one, and the WebSocket refusals on that server.
 */
@QuarkusTest
class WebSocketEndpointTest {
    static final long WAIT_SECONDS = 10;
    static final int READ_TIMEOUT_MS = 10_000;

    @TestHTTPResource("/stream")
    URL stream;

    @Inject
    StreamEndpoint endpoint;

    private URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + stream.getPort() + WebSocketSettings.DEFAULT_PATH);
    }

    @Test
    @Timeout(60)
    void theJavaClientRunsTheSecureHandshakeAndEchoesOverTheHttpPort() throws Exception {
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream s = client.connect(webSocketUri(), endpoint.node(), org.dapstream.stream.StreamListener.NONE)
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(s.encrypted(), "secure");
            assertEquals(endpoint.node(), s.node(), "the node proved the address it was dialled for");
            assertTrue(endpoint.server().streams().stream().anyMatch(x -> x.remoteAddress().contains("127.0.0.1")),
                    "the stream is the stream endpoint's, through its admission");
            LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            Channel echo = s.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    echoes.add(StandardCharsets.UTF_8.decode(data).toString());
                }
            }).get(WAIT_SECONDS, TimeUnit.SECONDS);
            echo.write(PacketType.DATA, "over the HTTP port".getBytes(StandardCharsets.UTF_8));
            assertEquals("over the HTTP port", echoes.poll(WAIT_SECONDS, TimeUnit.SECONDS));
            byte[] big = new byte[200 * 1024];
            new java.util.Random(7).nextBytes(big);
            LinkedBlockingQueue<byte[]> bigEchoes = new LinkedBlockingQueue<>();
            Channel bulk = s.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    byte[] copy = new byte[data.remaining()];
                    data.get(copy);
                    bigEchoes.add(copy);
                }
            }).get(WAIT_SECONDS, TimeUnit.SECONDS);
            bulk.send(PacketType.DATA, big).get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertArrayEquals(big, bigEchoes.poll(WAIT_SECONDS, TimeUnit.SECONDS), "200 KiB echoed byte for byte");
            s.close();
            assertNotNull(s.closed().get(WAIT_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void aTextMessageIsAnsweredWithProtocolViolationAndClose1003() throws Exception {
        try (RawPeer peer = RawPeer.overWebSocket(stream.getPort(), READ_TIMEOUT_MS)) {
            peer.handshake();
            peer.webSocket().send(WebSocketWire.TEXT, true, "hi".getBytes(StandardCharsets.UTF_8));
            peer.assertEndsWithError("text message", ErrorCode.PROTOCOL_VIOLATION);
            assertEquals(WebSocketFraming.CLOSE_UNSUPPORTED_DATA, peer.webSocket().closeFrame().closeCode());
        }
    }

    @Test
    void theSubprotocolIsRequiredAndOtherPathsAreNotStreams() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", stream.getPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            assertEquals(400, new WebSocketWire(socket, WebSocketSettings.DEFAULT_PATH, null).status());
        }
        try (Socket socket = new Socket("127.0.0.1", stream.getPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            assertEquals(404, new WebSocketWire(socket, "/elsewhere", WebSocketFraming.SUBPROTOCOL).status());
        }
    }
}
