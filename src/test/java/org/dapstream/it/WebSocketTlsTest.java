package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PfxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.dapstream.transport.WebSocketSettings;
import org.dapstream.transport.WebSocketStreamServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code wss://}: a WebSocket stream server with TLS (a certificate made by keytool for
 * 127.0.0.1), and the Java client trusting it through the {@code WebSocketClientOptions} it is
 * given: the secure handshake and an echo inside TLS; without the trust, the dial fails.
 */
class WebSocketTlsTest {
    static final long WAIT_SECONDS = 10;
    static final String PASSWORD = "test-only";

    @Test
    @Timeout(120)
    void theClientDialsWssWithTheTrustItIsGiven(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("node.p12");
        makeCertificate(keystore);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SecureRandom random = new SecureRandom();
        StreamServer streams = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ED25519, random),
                random)), null), ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
        WebSocketStreamServer tls = new WebSocketStreamServer(vertx, streams, new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setSsl(true).setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD)), 1,
                WebSocketSettings.defaults());
        try {
            streams.start().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            tls.start().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            URI uri = URI.create("wss://127.0.0.1:" + tls.port() + "/stream");

            WebSocketClientOptions trusting = new WebSocketClientOptions()
                    .setTrustOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD)).setVerifyHost(true);
            try (StreamClient client = new StreamClient(ClientOptions.defaults(), trusting)) {
                Stream stream = client.connect(uri, null, StreamListener.NONE).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertTrue(stream.encrypted(), "the stream's own handshake ran inside TLS");
                LinkedBlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
                Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                    @Override
                    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                        byte[] copy = new byte[data.remaining()];
                        data.get(copy);
                        echoes.add(copy);
                    }
                }).get(WAIT_SECONDS, TimeUnit.SECONDS);
                byte[] message = new byte[100_000];
                random.nextBytes(message);
                echo.send(PacketType.DATA, message).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertArrayEquals(message, echoes.poll(WAIT_SECONDS, TimeUnit.SECONDS), "echoed through wss");
                stream.close();
            }
            try (StreamClient untrusting = new StreamClient(ClientOptions.defaults())) {
                assertThrows(Exception.class, () -> untrusting.connect(uri).get(WAIT_SECONDS, TimeUnit.SECONDS),
                        "a certificate the client does not trust fails the dial");
            }
            assertEquals(0, streams.streams().size(), "no stream is left");
        } finally {
            tls.stop().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            streams.stop().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** A self-signed EC certificate for 127.0.0.1 in a PKCS#12 file, made by the running JDK's keytool. */
    private static void makeCertificate(Path keystore) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "node", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "1",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }
}
