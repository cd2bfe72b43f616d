package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.KeySchedule;
import org.dapstream.crypto.SessionSecrets;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hostile secure peer on a real socket against a real server: channel ids opened again
 * must never make the server repeat a (key, nonce) pair, nor may the peer; a forged pong
 * must not become a round trip; a CONTROL packet larger than any sender may write is
 * refused with its own code before it reaches a service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ParameterizedClass(name = "over {0}")
@EnumSource(Transport.class)
class NonceAndInputSocketTest {
    /** The same test over TCP and over WebSocket. */
    @Parameter
    Transport transport;

    static final int READ_TIMEOUT_MS = 10_000;
    /** Opens of the same channel id on one stream; each must move the server to a new epoch. */
    static final int REOPENS = 40;

    private LoopbackServer server;
    private final List<Long> roundTrips = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        server = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics(), transport);
        server.counters().onRoundTrip(roundTrips::add);
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
    }

    private RawPeer peer() throws Exception {
        return server.rawPeer(READ_TIMEOUT_MS).handshake();
    }

    /** Reads ch-0 CONTROL frames until one decodes to {@code kind}, skipping others (the server's KEY_UPDATEs). */
    private static <T extends ControlMessage> T awaitControl(RawPeer p, Class<T> kind) throws Exception {
        for (int i = 0; i < 1000; i++) {
            ControlMessage m = ControlCodec.decode(ByteBuffer.wrap(p.await(PacketType.CONTROL, 0).payload()));
            if (kind.isInstance(m)) {
                return kind.cast(m);
            }
        }
        throw new AssertionError("no " + kind.getSimpleName());
    }

    private static void closeChannel(RawPeer p, int ch) throws Exception {
        p.sendFrame(PacketType.CLOSE, ch, CloseReason.of(ErrorCode.NORMAL, "").encode());
        p.await(PacketType.CLOSE, ch);
    }

    @Test
    void echoesOnAChannelIdOpenedAgainNeverRepeatANonce() throws Exception {
        try (RawPeer p = peer()) {
            for (int i = 0; i < REOPENS; i++) {
                p.open(1, ChannelType.ECHO);
                assertEquals(1, awaitControl(p, ControlMessage.OpenAck.class).channelId());
                p.resetSeq(1);
                if (i > 0) {
                    p.keyUpdate(); // this peer keeps the rule too: its own seq 0 on ch 1 needs a fresh epoch
                }
                byte[] message = ("message " + i).getBytes(StandardCharsets.US_ASCII);
                p.sendFrame(PacketType.DATA, 1, message);
                assertArrayEquals(message, p.await(PacketType.DATA, 1).payload(), "echo " + i);
                closeChannel(p, 1);
            }
            List<RawPeer.NonceUse> used = p.serverNonces();
            Set<RawPeer.NonceUse> distinct = new HashSet<>(used);
            assertEquals(used.size(), distinct.size(), "the server sealed two frames under one (epoch, ch, seq): " + used);
            assertEquals(2 * REOPENS, used.size(), "an echo and a CLOSE per round");
            long epochs = used.stream().mapToLong(RawPeer.NonceUse::epoch).distinct().count();
            assertEquals(REOPENS, epochs, "one new epoch per reopening, no more");
        }
    }

    @Test
    void aPeerThatRepeatsANonceOnAReopenedIdIsRefused() throws Exception {
        try (RawPeer p = peer()) {
            p.open(1, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            p.sendFrame(PacketType.DATA, 1, new byte[] {1});
            p.await(PacketType.DATA, 1);
            closeChannel(p, 1);
            p.open(1, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            p.resetSeq(1);
            p.sendFrame(PacketType.DATA, 1, new byte[] {2}); // seq 0 on ch 1 again, same epoch: the same nonce
            p.assertEndsWithError("reused nonce", ErrorCode.BAD_KEY_UPDATE);
        }
    }

    @Test
    void everyChannelKeyRequestOnAStreamDerivesNewKeys() throws Exception {
        try (RawPeer p = peer()) {
            SessionSecrets secrets = p.handshakeResult().secrets();
            p.open(1, ChannelType.ECHO).open(3, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            awaitControl(p, ControlMessage.OpenAck.class);
            // Request 1 (ch 3) is accepted; request 2 (ch 1) is refused for a wrong check, and
            // still counts; request 3 (ch 1) must use g = 3, not "the channel's first" g = 1.
            p.sendFrame(PacketType.CONTROL, 0, channelKey(secrets, 3, KeySchedule.channelKeyGeneration(1, false)));
            assertEquals(0, awaitControl(p, ControlMessage.ChannelKeyAck.class).status());
            p.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.ChannelKey(1, ControlMessage.KEY_MODE_DERIVED, new byte[8])));
            assertEquals(ErrorCode.KEY_REJECTED.code(), awaitControl(p, ControlMessage.ChannelKeyAck.class).status());
            p.sendFrame(PacketType.CONTROL, 0, channelKey(secrets, 1, KeySchedule.channelKeyGeneration(3, false)));
            ControlMessage.ChannelKeyAck ack = awaitControl(p, ControlMessage.ChannelKeyAck.class);
            assertEquals(1, ack.channelId());
            assertEquals(0, ack.status(), "the server counted every request on the stream");
        }
    }

    private static byte[] channelKey(SessionSecrets secrets, int ch, int generation) {
        try (SessionSecrets.ChannelSecrets keys = secrets.channel(ch, generation, null)) {
            return ControlCodec.encode(new ControlMessage.ChannelKey(ch, ControlMessage.KEY_MODE_DERIVED, keys.check()));
        }
    }

    @Test
    void forgedPongsAreNotRoundTrips() throws Exception {
        long ignoredBefore = server.counters().pongsIgnored();
        int forged = 50;
        try (RawPeer p = peer()) {
            byte[] pong = new byte[KeepAlivePayload.SIZE];
            KeepAlivePayload.encode(pong, 0, true, 1L); // "sent at nanoTime 1": the server's uptime as a round trip
            for (int i = 0; i < forged; i++) {
                p.sendFrame(PacketType.KEEPALIVE, 0, pong);
            }
            // A round trip through ECHO proves the server read every pong before it.
            p.open(1, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            p.sendFrame(PacketType.DATA, 1, new byte[] {7});
            p.await(PacketType.DATA, 1);
        }
        assertEquals(forged, server.counters().pongsIgnored() - ignoredBefore, "every forged pong ignored and counted");
        assertTrue(roundTrips.stream().allMatch(nanos -> nanos < 1_000_000_000L), "no forged round trip recorded: " + roundTrips);
    }

    @Test
    void aControlPacketLargerThanAnySenderMayWriteIsRefused() throws Exception {
        // Sealed: 65,584 plaintext bytes fit the frame limit (65,792) with the tag, but exceed
        // the 64 KiB a CONTROL packet may have.
        try (RawPeer p = peer()) {
            p.open(1, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            p.sendFrame(PacketType.CONTROL, 1, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD + 48]);
            p.assertEndsWithError("large CONTROL", ErrorCode.MESSAGE_TOO_LARGE);
        }
        // Compressed: a small frame that inflates beyond 64 KiB.
        try (RawPeer p = peer()) {
            p.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(new ControlMessage.OpenChannel(1, ChannelType.ECHO,
                    ControlMessage.OPTION_COMPRESSION)));
            awaitControl(p, ControlMessage.OpenAck.class);
            int inflated = FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;
            ByteBuffer out = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(inflated));
            int n = Lz4Payload.compress(ByteBuffer.allocate(inflated), 0, inflated, out, 0);
            byte[] compressed = new byte[n];
            out.get(0, compressed);
            p.send(p.frame(PacketType.CONTROL, 1, Flags.COMPRESSED, compressed));
            p.assertEndsWithError("compressed large CONTROL", ErrorCode.MESSAGE_TOO_LARGE);
        }
        // The server is fine: a new stream still echoes.
        try (RawPeer p = peer()) {
            p.open(1, ChannelType.ECHO);
            awaitControl(p, ControlMessage.OpenAck.class);
            p.sendFrame(PacketType.CONTROL, 1, new byte[FrameLimits.DEFAULT_MESSAGE_PAYLOAD]);
            assertEquals(FrameLimits.DEFAULT_MESSAGE_PAYLOAD, p.await(PacketType.CONTROL, 1).payload().length);
        }
    }
}
