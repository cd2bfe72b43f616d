package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
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
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Acknowledgements over real sockets and the real handshake: agreed only when offered and
 * accepted; every message written is kept until the peer acknowledges it and then let go; a
 * full store is back-pressure to the writer (write returns false, readyToWrite once the peer
 * acknowledges), never eviction; and a peer's ACK that breaks the rules ends its stream with
 * a specific code while the node goes on.
 */
class AcknowledgementsSocketTest {
    static final int TIMEOUT_SECONDS = 10;
    /** A custom type whose server side holds every message (paused) until the test resumes it. */
    static final ChannelType HELD = ChannelType.custom(0x51);
    /** The smallest store, so the test fills it with a few messages. */
    static final int SMALL_STORE = 256 * 1024;
    static final int MESSAGES = 2_000;
    /** Largest message of the random mix: fragmented beyond 64 KiB. */
    static final int MAX_MESSAGE = 150 * 1024;

    private Vertx vertx;
    private StreamServer server;
    private final List<StreamClient> clients = new ArrayList<>();
    /** The server side of each HELD channel, as it opens. */
    private final LinkedBlockingQueue<Channel> held = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() throws Exception {
        for (StreamClient c : clients) {
            c.close();
        }
        if (server != null) {
            server.stop().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** A secure server on 127.0.0.1 that accepts {@code features}, serving ECHO, DISCARD, MEDIA (discards) and HELD. */
    private void startServer(int features, StreamConfig config) throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SecureRandom random = new SecureRandom();
        StreamSecurity security = StreamSecurity.of(HandshakeSettings.defaults(
                NodeIdentity.generate(SignatureAlgorithm.ED25519, random), random).withFeatures(features));
        ChannelRegistry services = ChannelRegistry.withDiagnostics()
                .register(ChannelType.MEDIA, new ChannelHandler() { })
                .register(HELD, new ChannelHandler() {
                    @Override
                    public void opened(Channel channel) {
                        channel.pause();
                        held.add(channel);
                    }
                });
        server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, config, NodeAddress.NONE, security, null),
                services, new Sessions(), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private Stream connect(boolean offerAcks, StreamConfig config) throws Exception {
        StreamClient client = new StreamClient(ClientOptions.defaults().withStream(config).withAcknowledgements(offerAcks));
        clients.add(client);
        return client.connect("127.0.0.1", server.port()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private Stream serverSideOf(Set<Stream> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            for (Stream s : server.counters().liveStreams()) {
                if (!before.contains(s) && s.active()) {
                    return s;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the client's stream did not show up on the server");
    }

    @Test
    @Timeout(60)
    void agreedOnlyWhenTheClientOffersAndTheNodeAccepts() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        Set<Stream> before = new HashSet<>(server.counters().liveStreams());
        Stream offered = connect(true, StreamConfig.defaults());
        assertTrue(offered.acknowledged(), "offered and accepted: agreed on the client");
        assertTrue(serverSideOf(before).acknowledged(), "offered and accepted: agreed on the node");
        assertFalse(connect(false, StreamConfig.defaults()).acknowledged(), "not offered: not agreed");
        assertThrows(IllegalStateException.class, () -> ClientOptions.plaintext().withAcknowledgements(true),
                "a plaintext client has no handshake to offer it in");
    }

    @Test
    @Timeout(60)
    void aNodeThatDoesNotAcceptThemAgreesNone() throws Exception {
        startServer(0, StreamConfig.defaults());
        assertFalse(connect(true, StreamConfig.defaults()).acknowledged(), "offered, not accepted: not agreed");
    }

    /**
     * 2,000 messages of random sizes (empty to 150 KiB, so some go as fragments) through ECHO:
     * each comes back equal and in order, and once all are back neither side keeps anything:
     * every message was acknowledged, both directions.
     */
    @Test
    @Timeout(120)
    void echoedMessagesAreAcknowledgedAndLetGoOnBothSides() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        Set<Stream> before = new HashSet<>(server.counters().liveStreams());
        Stream stream = connect(true, StreamConfig.defaults());
        Stream onServer = serverSideOf(before);
        LinkedBlockingQueue<byte[]> echoed = new LinkedBlockingQueue<>();
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                byte[] copy = new byte[data.remaining()];
                data.get(copy);
                echoed.add(copy);
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Random random = new Random(7);
        List<byte[]> sent = new ArrayList<>();
        long peakKept = 0;
        for (int i = 0; i < MESSAGES; i++) {
            byte[] message = new byte[random.nextInt(8) == 0 ? random.nextInt(MAX_MESSAGE) : random.nextInt(256)];
            random.nextBytes(message);
            sent.add(message);
            echo.send(PacketType.DATA, message).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            peakKept = Math.max(peakKept, stream.unacknowledgedBytes());
        }
        for (int i = 0; i < MESSAGES; i++) {
            byte[] back = echoed.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertTrue(back != null, "echo " + i + " of " + MESSAGES + " came back");
            assertArrayEquals(sent.get(i), back, "echo " + i + " equals what was sent, in order");
        }
        assertTrue(peakKept > 0, "what was sent was kept until acknowledged (peak " + peakKept + " bytes)");
        awaitTrue(() -> stream.unacknowledgedBytes() == 0, () -> "the client still keeps " + stream.unacknowledgedBytes() + " bytes");
        awaitTrue(() -> onServer.unacknowledgedBytes() == 0, () -> "the node still keeps " + onServer.unacknowledgedBytes() + " bytes");
        assertTrue(stream.active() && onServer.active(), "the stream goes on");
    }

    /**
     * The node holds every message of a HELD channel (paused: nothing delivered, nothing
     * acknowledged). With a 256 KiB store, the client's writer is told to wait once the store is
     * over its bound, though the channel still has credit; when the node delivers, its ACK lets
     * the messages go and the writer is woken.
     */
    @Test
    @Timeout(60)
    void aFullStoreTellsTheWriterToWaitUntilThePeerAcknowledges() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        Stream stream = connect(true, StreamConfig.defaults().withSessionStore(SMALL_STORE));
        CompletableFuture<Void> woken = new CompletableFuture<>();
        CompletableFuture<Integer> written = new CompletableFuture<>();
        byte[] message = new byte[16 * 1024];
        Channel channel = stream.openChannel(HELD, new ChannelHandler() {
            @Override
            public void opened(Channel c) {
                // On the loop, as a handler writes: until told to wait (bounded: 1,000 messages).
                int n = 0;
                boolean more = true;
                while (more && n < 1_000) {
                    more = c.write(PacketType.DATA, message);
                    n++;
                }
                written.complete(more ? -1 : n);
            }

            @Override
            public void readyToWrite(Channel c) {
                woken.complete(null);
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Channel onServer = held.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(onServer != null, "the node opened its side of the HELD channel");
        int accepted = written.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(accepted > 0, "the writer was told to wait within 1,000 messages");
        long bytes = (long) accepted * message.length;
        assertTrue(bytes > SMALL_STORE && bytes <= SMALL_STORE + message.length,
                "told to wait at the first message over the 256 KiB store: " + accepted + " messages, " + bytes + " bytes");
        assertTrue(channel.sendCredit() > 0, "the channel still had credit: the store, not flow control, stopped the writer ("
                + channel.sendCredit() + " bytes of credit)");
        assertEquals(bytes, stream.unacknowledgedBytes(), "every message written is kept: nothing evicted");
        assertFalse(woken.isDone(), "not woken while the node acknowledges nothing");

        onServer.resume(); // the node delivers what it held, and acknowledges it
        woken.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        awaitTrue(() -> stream.unacknowledgedBytes() == 0, () -> "the client still keeps " + stream.unacknowledgedBytes() + " bytes");
        assertTrue(stream.active(), "the stream goes on");
    }

    /** The node's ACKs: cumulative, one per batch, and before the channel's CLOSE. */
    @Test
    @Timeout(60)
    void theNodeAcknowledgesWhatItsServiceWasHandedCumulatively() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        try (RawPeer peer = new RawPeer(server.port(), TIMEOUT_SECONDS * 1000)) {
            peer.offering(Features.ACKS).handshake();
            assertEquals(Features.ACKS, peer.agreedFeatures(), "the node chose ACKS");
            peer.open(1, ChannelType.DISCARD).await(PacketType.CONTROL, 0); // OPEN_ACK
            for (int i = 0; i < 3; i++) {
                peer.sendFrame(PacketType.DATA, 1, new byte[] {(byte) i});
            }
            long acknowledged = 0;
            while (acknowledged < 3) {
                RawPeer.Frame f = peer.await(PacketType.CONTROL, 0);
                ControlMessage m = ControlCodec.decode(ByteBuffer.wrap(f.payload()));
                if (m instanceof ControlMessage.Ack ack) {
                    assertEquals(1, ack.channelId());
                    assertTrue(ack.delivered() > acknowledged && ack.delivered() <= 3, "cumulative and growing: " + ack);
                    acknowledged = ack.delivered();
                    if (acknowledged == 3) {
                        assertArrayEquals(new byte[] {0x12, 0x01, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0}, f.payload(),
                                "ACK on the wire: kind, ch_id 1, delivered 3");
                    }
                }
            }
        }
    }

    /** One bad ACK: the stream it came on ends with the code, the node and other streams go on. */
    record BadAck(String name, int features, ChannelType type, int messagesFirst, byte[] ack, ErrorCode expected) {
    }

    @Test
    @Timeout(120)
    void badAcksEndTheirStreamWithASpecificCode() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        Stream bystander = connect(true, StreamConfig.defaults());
        List<BadAck> table = List.of(
                new BadAck("ACK of more messages than were written", Features.ACKS, ChannelType.ECHO, 0,
                        ControlCodec.encode(new ControlMessage.Ack(1, 1)), ErrorCode.BAD_ACK),
                new BadAck("ACK of 2^64-1 messages (u64, not -1)", Features.ACKS, ChannelType.ECHO, 2,
                        ControlCodec.encode(new ControlMessage.Ack(1, -1L)), ErrorCode.BAD_ACK),
                new BadAck("ACK on a MEDIA channel", Features.ACKS, ChannelType.MEDIA, 0,
                        ControlCodec.encode(new ControlMessage.Ack(1, 0)), ErrorCode.BAD_ACK),
                new BadAck("ACK on a stream that did not agree ACKS", 0, ChannelType.ECHO, 1,
                        ControlCodec.encode(new ControlMessage.Ack(1, 1)), ErrorCode.MALFORMED_CONTROL),
                new BadAck("ACK one byte short", Features.ACKS, ChannelType.ECHO, 0,
                        Arrays.copyOf(ControlCodec.encode(new ControlMessage.Ack(1, 0)), ControlCodec.ACK_SIZE - 1),
                        ErrorCode.MALFORMED_CONTROL),
                new BadAck("ACK for ch 0", Features.ACKS, ChannelType.ECHO, 0,
                        new byte[] {0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrorCode.MALFORMED_CONTROL));
        for (BadAck row : table) {
            try (RawPeer peer = new RawPeer(server.port(), TIMEOUT_SECONDS * 1000)) {
                peer.offering(row.features()).handshake();
                peer.open(1, row.type()).await(PacketType.CONTROL, 0); // OPEN_ACK
                for (int i = 0; i < row.messagesFirst(); i++) {
                    peer.sendFrame(PacketType.DATA, 1, new byte[] {(byte) i});
                    peer.await(PacketType.DATA, 1); // echoed: the node wrote it, so it counts as written
                }
                peer.sendFrame(PacketType.CONTROL, 0, row.ack());
                peer.assertEndsWithError(row.name(), row.expected());
            }
            assertTrue(bystander.active(), row.name() + ": another stream goes on");
        }
        assertEquals(3, server.counters().errorsSent(ErrorCode.BAD_ACK), "each BAD_ACK counted");
    }

    /** An ACK going back: the second ACK names fewer messages than the first. */
    @Test
    @Timeout(60)
    void anAckThatGoesBackEndsTheStream() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        try (RawPeer peer = new RawPeer(server.port(), TIMEOUT_SECONDS * 1000)) {
            peer.offering(Features.ACKS).handshake();
            peer.open(1, ChannelType.ECHO).await(PacketType.CONTROL, 0);
            for (int i = 0; i < 2; i++) {
                peer.sendFrame(PacketType.DATA, 1, new byte[] {(byte) i});
                peer.await(PacketType.DATA, 1);
            }
            peer.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.Ack(1, 2)));
            peer.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.Ack(1, 1)));
            peer.assertEndsWithError("ACK of 1 after an ACK of 2", ErrorCode.BAD_ACK);
        }
    }

    /** An ACK for a channel that is not open (it crossed the channel's end) is ignored: the stream goes on. */
    @Test
    @Timeout(60)
    void anAckForAChannelThatIsNotOpenIsIgnored() throws Exception {
        startServer(Features.ACKS, StreamConfig.defaults());
        try (RawPeer peer = new RawPeer(server.port(), TIMEOUT_SECONDS * 1000)) {
            peer.offering(Features.ACKS).handshake();
            peer.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.Ack(7, 3)));
            peer.open(1, ChannelType.ECHO).await(PacketType.CONTROL, 0);
            peer.sendFrame(PacketType.DATA, 1, new byte[] {42});
            assertArrayEquals(new byte[] {42}, peer.await(PacketType.DATA, 1).payload(), "the stream goes on: its echo came back");
        }
    }

    private static void awaitTrue(BooleanSupplier condition, Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(failure.get());
            }
            Thread.sleep(10);
        }
    }
}
