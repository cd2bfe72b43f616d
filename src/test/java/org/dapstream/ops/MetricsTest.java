package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.FrameCipher;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The scrape equals the traffic driven: a real client sends known frames over ECHO and
 * DISCARD channels, the test computes every frame's size (12-byte header + payload), and
 * /q/metrics must count exactly those, also after the stream has closed.
 */
@QuarkusTest
@TestProfile(QuietKeepAliveProfile.class)
public class MetricsTest {
    /** CLIENT_FINISH without an identity: kind, sig_alg 0, three empty vecs, the MAC. */
    static final int CLIENT_FINISH_UNAUTHENTICATED = 1 + 1 + 3 * 2 + 32;

    private static final int ECHOED = 50;
    private static final int ECHO_SIZE = 1000;
    private static final int DISCARDED = 30;
    private static final int DISCARD_SIZE = 333;
    /** What Stream.close() sends as its CLOSE reason. */
    private static final String APPLICATION_CLOSE = "closed by application";

    @TestHTTPResource(value = "/", management = true)
    URL management;

    private Management mgmt;
    private StreamClient client;

    @BeforeEach
    void connect() {
        mgmt = new Management(management);
        client = new StreamClient(ClientOptions.defaults()
                .withStream(ClientOptions.defaults().stream().withKeepAlive(Duration.ofMinutes(10), Duration.ofMinutes(20))));
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    private Scrape scrape() {
        Management.Answer a = mgmt.get("/q/metrics");
        assertEquals(200, a.status(), a.body());
        return new Scrape(a.body());
    }

    /** Scrapes until no stream is open on the node (the server side ends a moment after the client's). */
    private Scrape scrapeWhenIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Scrape s = scrape();
            if (s.count("dap_stream_streams_active", "role", "acceptor") == 0 || System.nanoTime() > deadline) {
                return s;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void scrapedTrafficEqualsTheFramesDriven() throws Exception {
        Scrape before = scrapeWhenIdle();
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        CountDownLatch echoes = new CountDownLatch(ECHOED);
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                echoes.countDown();
            }
        }).get(10, TimeUnit.SECONDS);
        Channel discard = stream.openChannel(ChannelType.DISCARD, null).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < ECHOED; i++) {
            echo.write(PacketType.DATA, new byte[ECHO_SIZE]);
        }
        for (int i = 0; i < DISCARDED; i++) {
            discard.write(PacketType.DATA, new byte[DISCARD_SIZE]);
        }
        assertTrue(echoes.await(10, TimeUnit.SECONDS), "all echoes back");

        Scrape live = scrape();
        assertEquals(1, live.count("dap_stream_streams_active", "role", "acceptor"));
        assertEquals(1, live.count("dap_stream_channels_active", "type", "ECHO"));
        assertEquals(1, live.count("dap_stream_channels_active", "type", "DISCARD"));
        assertEquals(0, live.count("dap_stream_channels_active", "type", "CUSTOM"));
        assertEquals(1, live.count("dap_stream_sessions_active"));

        stream.close();
        assertEquals(ErrorCode.NORMAL.code(), stream.closed().get(10, TimeUnit.SECONDS).code());
        Scrape after = scrapeWhenIdle();

        // Client to server: CLIENT_HELLO and CLIENT_FINISH (plaintext; the client does not authenticate
        // to an open node), then sealed (+16-byte tag each): 2 x OPEN_CHANNEL, the data, CLOSE of the stream.
        int tag = FrameCipher.TAG_SIZE;
        long sealedIn = 2 + ECHOED + DISCARDED + 1;
        long inFrames = 2 + sealedIn;
        long inBytes = FrameHeader.SIZE * inFrames + HandshakeCodec.CLIENT_HELLO_SIZE + CLIENT_FINISH_UNAUTHENTICATED
                + ControlCodec.encode(new ControlMessage.OpenChannel(1, ChannelType.ECHO, 0)).length
                + ControlCodec.encode(new ControlMessage.OpenChannel(3, ChannelType.DISCARD, 0)).length
                + (long) ECHOED * ECHO_SIZE + (long) DISCARDED * DISCARD_SIZE
                + CloseReason.of(ErrorCode.NORMAL, APPLICATION_CLOSE).encode().length + tag * sealedIn;
        // Server to client: SERVER_HELLO (its ML-DSA-65 key and signature) and SERVER_FINISH, then sealed:
        // 2 x OPEN_ACK, the echoes, the answering CLOSE.
        long sealedOut = 2 + ECHOED + 1;
        long outFrames = 2 + sealedOut;
        SignatureAlgorithm serverAlg = SignatureAlgorithm.ML_DSA_65;
        long serverHello = HandshakeCodec.SERVER_HELLO_FIXED_SIZE + 2 + serverAlg.publicKeySize() + 2 + 2 + serverAlg.signatureSize();
        long outBytes = FrameHeader.SIZE * outFrames + serverHello + HandshakeCodec.SERVER_FINISH_SIZE
                + 2L * ControlCodec.encode(new ControlMessage.OpenAck(1)).length
                + (long) ECHOED * ECHO_SIZE
                + CloseReason.of(ErrorCode.NORMAL, "").encode().length + tag * sealedOut;

        assertEquals(inFrames, delta(before, after, "dap_stream_packets_received_total"));
        assertEquals(inBytes, delta(before, after, "dap_stream_received_bytes_total"));
        assertEquals(outFrames, delta(before, after, "dap_stream_packets_sent_total"));
        assertEquals(outBytes, delta(before, after, "dap_stream_sent_bytes_total"));
        // The client counted the same frames from its side.
        StreamStats seen = stream.stats();
        assertEquals(seen.packetsSent(), inFrames);
        assertEquals(seen.bytesSent(), inBytes);
        assertEquals(seen.packetsReceived(), outFrames);
        assertEquals(seen.bytesReceived(), outBytes);

        assertEquals(1, delta(before, after, "dap_stream_streams_opened_total", "role", "acceptor"));
        assertEquals(0, after.count("dap_stream_streams_active", "role", "acceptor"));
        assertEquals(0, after.count("dap_stream_channels_active", "type", "ECHO"));
        assertEquals(0, after.count("dap_stream_sessions_active"));
        assertEquals(0, delta(before, after, "dap_stream_errors_sent_total", "code", "PROTOCOL_VIOLATION"));
    }

    @Test
    void errorsAndRefusalsAreCountedByCode() throws Exception {
        Scrape before = scrapeWhenIdle();
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        // No service for this custom type: the node refuses the open with an OPEN_REJECT.
        var refused = stream.openChannel(ChannelType.custom(0x77), null);
        assertThrowsCause(refused);
        stream.abort(ErrorCode.GOING_AWAY, "test leaves");
        stream.closed().get(10, TimeUnit.SECONDS);
        Scrape after = scrapeWhenIdle();
        assertEquals(1, delta(before, after, "dap_stream_errors_sent_total", "code", "UNSUPPORTED_CHANNEL_TYPE"));
        assertEquals(1, delta(before, after, "dap_stream_errors_received_total", "code", "GOING_AWAY"));
        assertEquals(0, delta(before, after, "dap_stream_errors_received_total", "code", "UNKNOWN"));
    }

    @Test
    void everyFixedMetricNameIsExposed() {
        Scrape s = scrape();
        for (String name : new String[] {"dap_stream_streams_active", "dap_stream_streams_opened_total", "dap_stream_sessions_active",
                "dap_stream_channels_active", "dap_stream_packets_sent_total", "dap_stream_packets_received_total",
                "dap_stream_sent_bytes_total", "dap_stream_received_bytes_total", "dap_stream_round_trip_seconds_count",
                "dap_stream_errors_sent_total", "dap_stream_errors_received_total", "dap_stream_keepalive_timeouts_total",
                "dap_stream_setup_timeouts_total", "dap_stream_flow_control_stalls_total",
                "dap_stream_compression_saved_bytes_total", "dap_stream_media_dropped_frames_total"}) {
            assertTrue(s.has(name) || s.text().contains("\n" + name + " "), name + " in\n" + s.text());
        }
        for (String type : new String[] {"CONTROL", "FILE", "SERVICE", "SECURITY", "MEDIA", "ECHO", "DISCARD", "CUSTOM"}) {
            s.value("dap_stream_channels_active", "type", type);
        }
        s.value("dap_stream_round_trip_seconds_bucket", "le", "0.001");
        s.value("dap_stream_round_trip_seconds_bucket", "le", "+Inf");
    }

    @Test
    void compressionSavedBytesCountWhatTheEchoKeptOffTheWire() throws Exception {
        int messages = 20;
        StringBuilder json = new StringBuilder();
        for (int i = 0; json.length() < 16 * 1024; i++) {
            json.append("{\"ts\":\"2026-11-26T10:00:").append(i % 60).append("Z\",\"level\":\"INFO\",\"msg\":\"stream opened\",\"n\":")
                    .append(i).append("}\n");
        }
        byte[] text = json.substring(0, 16 * 1024).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Scrape before = scrapeWhenIdle();
        Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
        CountDownLatch echoes = new CountDownLatch(messages);
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                assertEquals(ByteBuffer.wrap(text), data, "the echo comes back decompressed, byte for byte");
                echoes.countDown();
            }
        }).get(10, TimeUnit.SECONDS);
        assertTrue(echo.compression(), "ECHO channels offer compression by default");
        for (int i = 0; i < messages; i++) {
            echo.write(PacketType.DATA, text);
        }
        assertTrue(echoes.await(10, TimeUnit.SECONDS), "all echoes back");
        Scrape after = scrape();
        double saved = after.value("dap_stream_compression_saved_bytes_total") - before.value("dap_stream_compression_saved_bytes_total");
        long raw = (long) messages * text.length;
        assertTrue(saved > raw / 2.0, "JSON log text should shrink by more than half; the server saved " + saved + " of " + raw + " bytes");
        assertTrue(saved < raw, "saved " + saved + " cannot reach the raw " + raw);
    }

    private static void assertThrowsCause(java.util.concurrent.CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("the open should have been refused");
        } catch (java.util.concurrent.ExecutionException expected) {
            // refused, as it should
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer to the open", e);
        }
    }

    private static long delta(Scrape before, Scrape after, String name, String... labels) {
        return after.count(name, labels) - before.count(name, labels);
    }
}
