package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The secure handshake and encrypted frames end to end through the engine, without sockets. */
class SecureStreamTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final NodeIdentity SERVER = NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, RANDOM);
    static final NodeIdentity CLIENT = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
    static final NodeIdentity STRANGER = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);

    @AfterAll
    static void wipe() {
        SERVER.close();
        CLIENT.close();
        STRANGER.close();
    }

    static StreamSecurity security(NodeIdentity id) {
        return StreamSecurity.of(HandshakeSettings.defaults(id, RANDOM));
    }

    static StreamPair pair(StreamSecurity client, StreamSecurity server) {
        return new StreamPair(StreamConfig.defaults(), StreamConfig.defaults(), client, server);
    }

    static StreamPair securePair() {
        StreamPair p = pair(security(CLIENT), security(SERVER));
        p.pump();
        assertEquals(StreamState.ACTIVE, p.connector.state());
        assertEquals(StreamState.ACTIVE, p.acceptor.state());
        return p;
    }

    static Channel open(StreamPair p, ChannelType type, ChannelHandler h) {
        CompletableFuture<Channel> f = p.connector.openChannel(type, h);
        p.pump();
        return f.join();
    }

    @Test
    void handshakeAuthenticatesTheServerAndEncryptsEveryFrame() {
        StreamPair p = pair(security(CLIENT), security(SERVER));
        List<byte[]> wire = new ArrayList<>();
        p.towardAcceptor = b -> {
            wire.add(b.clone());
            return b;
        };
        p.pump();
        assertTrue(p.connector.encrypted());
        assertTrue(p.connector.authorized(), "the server proved its identity");
        assertEquals(SERVER.address(), p.connector.node());
        assertFalse(p.acceptor.authorized(), "open policy: the client did not have to authenticate");
        assertEquals(CLIENT.address(), p.acceptor.node(), "claimed, not proven");
        assertEquals(1, p.connectorCounters.handshakes(HandshakeOutcome.SUCCESS));
        assertEquals(1, p.acceptorCounters.handshakes(HandshakeOutcome.SUCCESS));

        wire.clear();
        List<String> echoed = new ArrayList<>();
        Channel ch = open(p, ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel c, PacketType type, ByteBuffer data) {
                echoed.add(StandardCharsets.UTF_8.decode(data).toString());
            }
        });
        ch.write(PacketType.DATA, "attack at dawn".getBytes(StandardCharsets.UTF_8));
        p.pump();
        assertEquals(List.of("attack at dawn"), echoed);
        byte[] all = concat(wire);
        assertFalse(new String(all, StandardCharsets.ISO_8859_1).contains("attack"), "plaintext on the wire");
        for (int at = 0; at < all.length; ) {
            int size = ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(at);
            assertEquals(Flags.ENCRYPTED, all[at + FrameHeader.OFFSET_FLAGS], "every frame after the handshake is ENCRYPTED");
            at += FrameHeader.SIZE + size;
        }
        p.assertTransportsUsedCorrectly();
    }

    @Test
    void allowListAdmitsListedClientAndRefusesOthers() {
        StreamSecurity server = StreamSecurity.of(HandshakeSettings.defaults(SERVER, RANDOM)
                .withPeerPolicy(AuthPolicy.allowList(Set.of(CLIENT.address()))));
        StreamPair ok = pair(security(CLIENT), server);
        ok.pump();
        assertTrue(ok.acceptor.authorized());
        assertEquals(CLIENT.address(), ok.acceptor.node());

        StreamPair refused = pair(security(STRANGER), server);
        refused.pump();
        assertEquals(StreamState.CLOSED, refused.connector.state());
        assertEquals(ErrorCode.AUTH_REFUSED, refused.connector.closed().join().errorCode());
        assertEquals(1, refused.acceptorCounters.handshakes(HandshakeOutcome.REFUSED));
        assertEquals(0, refused.sessions.size(), "no session survives a refused handshake");
    }

    @Test
    void clientRefusesAServerThatIsNotTheDialledNode() {
        StreamSecurity client = StreamSecurity.of(HandshakeSettings.defaults(CLIENT, RANDOM).withExpectedPeer(STRANGER.address()));
        StreamPair p = pair(client, security(SERVER));
        p.pump();
        assertEquals(ErrorCode.IDENTITY_MISMATCH, p.connector.closed().join().errorCode());
        assertEquals(ErrorCode.IDENTITY_MISMATCH, p.acceptor.closed().join().errorCode());
    }

    @Test
    void plaintextHelloToASecureNodeIsRefused() {
        StreamPair p = pair(null, security(SERVER));
        p.pump();
        assertEquals(ErrorCode.SECURITY_REQUIRED, p.connector.closed().join().errorCode());
    }

    @Test
    void everyFlippedByteOfAnEncryptedFrameIsRejected() {
        byte[] frame = captureOneDataFrame();
        for (int i = 0; i < frame.length; i++) {
            for (int bit : new int[]{0x01, 0x80}) {
                StreamPair p = securePair();
                Channel ch = open(p, StreamHarness.APP, null);
                int flip = i;
                boolean[] done = {false};
                p.towardAcceptor = b -> {
                    if (!done[0]) { // the first chunk only: it starts with the frame under test
                        b[flip] ^= (byte) bit;
                        done[0] = true;
                    }
                    return b;
                };
                // Two frames in one read: a changed size makes the first swallow or fall short of the second.
                ch.write(PacketType.DATA, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
                ch.write(PacketType.DATA, new byte[]{9, 10, 11, 12, 13, 14, 15, 16});
                p.pump();
                // A larger size waits for more bytes: later frames complete it, and it fails to open.
                for (int more = 0; more < 1000 && p.acceptor.state() == StreamState.ACTIVE; more++) {
                    ch.write(PacketType.DATA, new byte[64]);
                    p.pump();
                }
                String what = "byte " + i + " ^ 0x" + Integer.toHexString(bit);
                assertEquals(StreamState.CLOSED, p.acceptor.state(), what);
                ErrorCode code = p.acceptor.closed().join().errorCode();
                Set<ErrorCode> expected = i < 4 ? Set.of(ErrorCode.DECRYPT_FAILED, ErrorCode.FRAME_TOO_LARGE, ErrorCode.TRUNCATED_FRAME)
                        : i == FrameHeader.OFFSET_TYPE ? Set.of(ErrorCode.UNKNOWN_PACKET_TYPE, ErrorCode.DECRYPT_FAILED)
                        : i < FrameHeader.OFFSET_TYPE + 5 ? Set.of(ErrorCode.BAD_SEQUENCE)
                        : i < FrameHeader.OFFSET_FLAGS ? Set.of(ErrorCode.BAD_SEQUENCE, ErrorCode.UNKNOWN_CHANNEL)
                        // The channel offered compression, so a flipped COMPRESSED bit is a legal flag
                        // that the AEAD (flags are in its associated data) refuses; 0x80 is reserved.
                        : i == FrameHeader.OFFSET_FLAGS ? Set.of(bit == Flags.COMPRESSED ? ErrorCode.DECRYPT_FAILED : ErrorCode.RESERVED_FLAGS)
                        : Set.of(ErrorCode.DECRYPT_FAILED);
                assertTrue(expected.contains(code), what + " gave " + code + ", expected one of " + expected);
                assertEquals(List.of(), p.acceptorApp.payloads, what + ": nothing reached the handler");
            }
        }
    }

    private static byte[] captureOneDataFrame() {
        StreamPair p = securePair();
        Channel ch = open(p, StreamHarness.APP, null);
        List<byte[]> wire = new ArrayList<>();
        p.towardAcceptor = b -> {
            wire.add(b.clone());
            return b;
        };
        ch.write(PacketType.DATA, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        p.pump();
        byte[] frame = concat(wire);
        assertEquals(FrameHeader.SIZE + 8 + 16, frame.length);
        return frame;
    }

    private static byte[] concat(List<byte[]> parts) {
        int n = parts.stream().mapToInt(b -> b.length).sum();
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] b : parts) {
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
        }
        return out;
    }

    @Test
    void rekeyMovesBothDirectionsToNewEpochsAndTrafficContinues() {
        StreamSecurity small = new StreamSecurity(HandshakeSettings.defaults(CLIENT, RANDOM), 5, 1L << 40);
        StreamSecurity server = new StreamSecurity(HandshakeSettings.defaults(SERVER, RANDOM), 7, 1L << 40);
        StreamPair p = pair(small, server);
        p.pump();
        List<Integer> got = new ArrayList<>();
        Channel ch = open(p, ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel c, PacketType type, ByteBuffer data) {
                got.add(data.getInt());
            }
        });
        for (int i = 0; i < 100; i++) {
            ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, i));
            p.pump();
        }
        assertEquals(100, got.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, got.get(i));
        }
        p.connector.rekey().join();
        ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, 100));
        p.pump();
        assertEquals(101, got.size());
        assertEquals(StreamState.ACTIVE, p.acceptor.state());
    }

    @Test
    void derivedAndApplicationChannelKeys() {
        byte[] appKey = new byte[32];
        RANDOM.nextBytes(appKey);
        StreamPair p = securePair();
        List<Integer> got = new ArrayList<>();
        ChannelHandler recorder = new ChannelHandler() {
            @Override
            public void packetIn(Channel c, PacketType type, ByteBuffer data) {
                got.add(data.getInt());
            }
        };
        Channel ch = open(p, ChannelType.ECHO, recorder);
        CompletableFuture<Void> derived = ch.setEncryption();
        ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, 1)); // in flight while keys switch
        p.pump();
        derived.join();
        assertEquals("own", ch.encryption());
        ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, 2));
        p.pump();
        ch.rekey().join();
        ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, 3));
        p.pump();
        assertEquals(List.of(1, 2, 3), got);

        // The echo service has no application key: an application key is refused, the channel keeps working.
        CompletableFuture<Void> refused = ch.setEncryption(appKey);
        p.pump();
        assertTrue(refused.isCompletedExceptionally());
        ch.write(PacketType.DATA, ByteBuffer.allocate(4).putInt(0, 4));
        p.pump();
        assertEquals(List.of(1, 2, 3, 4), got);
        assertEquals(StreamState.ACTIVE, p.acceptor.state());
    }

    @Test
    void keysAreWipedWhenTheStreamEnds() {
        StreamPair p = securePair();
        assertFalse(p.connector.keys.wiped());
        assertFalse(p.acceptor.keys.wiped());
        p.connector.close();
        p.pump();
        assertEquals(StreamState.CLOSED, p.connector.state());
        assertEquals(StreamState.CLOSED, p.acceptor.state());
        assertTrue(p.connector.keys.wiped(), "connector keys wiped");
        assertTrue(p.acceptor.keys.wiped(), "acceptor keys wiped");
    }

    @Test
    void aDroppedFrameIsDetectedWhenTheNextOneArrives() {
        StreamPair p = securePair();
        Channel ch = open(p, StreamHarness.APP, null);
        boolean[] dropped = {false};
        p.towardAcceptor = b -> {
            if (!dropped[0]) {
                dropped[0] = true;
                return new byte[0]; // the first frame vanishes in transit
            }
            return b;
        };
        ch.write(PacketType.DATA, new byte[]{1});
        p.pump();
        assertEquals(StreamState.ACTIVE, p.acceptor.state(), "a loss alone is invisible until the next frame");
        ch.write(PacketType.DATA, new byte[]{2});
        p.pump();
        assertEquals(ErrorCode.BAD_SEQUENCE, p.acceptor.closed().join().errorCode());
        assertEquals(List.of(), p.acceptorApp.payloads);
    }

    @Test
    void removingASuiteFromTheOfferIsDetectedAsADowngrade() {
        StreamPair p = pair(security(CLIENT), security(SERVER));
        boolean[] done = {false};
        p.towardAcceptor = b -> {
            if (!done[0]) { // CLIENT_HELLO: offer only ChaCha20-Poly1305, as a man in the middle would
                done[0] = true;
                b[FrameHeader.SIZE + 3] = 0x02;
                b[FrameHeader.SIZE + 4] = 0x00;
            }
            return b;
        };
        p.pump();
        assertEquals(ErrorCode.BAD_SIGNATURE, p.connector.closed().join().errorCode(),
                "the server signed the altered offer; the client's transcript has the original");
        assertFalse(p.connector.encrypted());
    }

    @Test
    void clearingTheClientAuthFlagIsDetected() {
        StreamSecurity server = StreamSecurity.of(HandshakeSettings.defaults(SERVER, RANDOM)
                .withPeerPolicy(AuthPolicy.allowList(Set.of(CLIENT.address()))));
        StreamPair p = pair(security(CLIENT), server);
        boolean[] done = {false};
        p.towardConnector = b -> {
            if (!done[0]) { // SERVER_HELLO flags: drop CLIENT_AUTH so the client would not authenticate
                done[0] = true;
                b[FrameHeader.SIZE + 7] = 0;
            }
            return b;
        };
        p.pump();
        assertEquals(ErrorCode.BAD_SIGNATURE, p.connector.closed().join().errorCode());
        assertEquals(0, p.acceptor.channels().size());
    }

    @Test
    void clusterSignedAdmitsEndorsedNodesOnly() {
        NodeIdentity cluster = NodeIdentity.generate(SignatureAlgorithm.ED25519, RANDOM);
        byte[] endorsement = org.dapstream.crypto.Endorsement.issue(cluster, CLIENT.algorithm(), CLIENT.publicKey(),
                org.dapstream.crypto.Endorsement.NO_EXPIRY).encode();
        StreamSecurity server = StreamSecurity.of(HandshakeSettings.defaults(SERVER, RANDOM)
                .withPeerPolicy(AuthPolicy.clusterSigned(cluster.algorithm(), cluster.publicKey())));
        StreamPair member = pair(StreamSecurity.of(HandshakeSettings.defaults(CLIENT, RANDOM).withEndorsement(endorsement)), server);
        member.pump();
        assertTrue(member.acceptor.authorized());
        assertEquals(CLIENT.address(), member.acceptor.node());

        StreamPair unendorsed = pair(security(STRANGER), server);
        unendorsed.pump();
        assertEquals(ErrorCode.AUTH_REFUSED, unendorsed.connector.closed().join().errorCode());

        // A stranger presenting the member's endorsement: it endorses another key.
        StreamPair stolen = pair(StreamSecurity.of(HandshakeSettings.defaults(STRANGER, RANDOM).withEndorsement(endorsement)), server);
        stolen.pump();
        assertEquals(ErrorCode.AUTH_REFUSED, stolen.connector.closed().join().errorCode());
        assertEquals(2, stolen.acceptorCounters.handshakes(HandshakeOutcome.REFUSED) + unendorsed.acceptorCounters.handshakes(HandshakeOutcome.REFUSED));
        cluster.close();
    }

    @Test
    void theSetupDeadlineEndsAnUnfinishedHandshake() {
        StreamPair p = pair(security(CLIENT), security(SERVER));
        p.towardConnector = b -> new byte[0]; // the client never hears back
        p.run(java.time.Duration.ofSeconds(6), 100);
        assertEquals(ErrorCode.SETUP_TIMEOUT, p.acceptor.closed().join().errorCode());
        assertEquals(1, p.acceptorCounters.handshakes(HandshakeOutcome.TIMEOUT));
        assertEquals(0, p.sessions.size());
    }
}
