package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Session resumption end to end: a full handshake that agrees RESUMPTION, a ticket sealed by
 * the acceptor, then the abbreviated handshake between fresh state machines, and every way
 * the acceptor refuses a ticket, each with its code and in the documented order.
 */
class ResumptionTest {
    static final int FEATURES = Features.ACKS | Features.RESUMPTION;
    static final int SESSION_ID = 0x0BADCAFE;
    static final int KEEPALIVE_MS = 4000;
    static final long NOW = 1_800_000_000L;
    static final byte[] PAYLOAD = "resumed".getBytes(StandardCharsets.US_ASCII);

    NodeIdentity clientIdentity;
    NodeIdentity serverIdentity;
    HandshakeSettings clientSettings;
    HandshakeSettings serverSettings;
    TicketSealer sealer;
    /** The first handshake's secrets on both sides. */
    HandshakeResult firstClient;
    HandshakeResult firstServer;
    /** What the connector keeps of ticket 1. */
    byte[] ticket;
    byte[] clientResumptionSecret;
    final List<HandshakeResult> results = new ArrayList<>();

    @BeforeEach
    void firstHandshakeAndTicket() throws Exception {
        SecureRandom random = new SecureRandom();
        clientIdentity = NodeIdentity.generate(SignatureAlgorithm.ED25519, random);
        serverIdentity = NodeIdentity.generate(SignatureAlgorithm.ED25519, random);
        clientSettings = HandshakeSettings.defaults(clientIdentity, random).withFeatures(FEATURES);
        serverSettings = HandshakeSettings.defaults(serverIdentity, random).withFeatures(FEATURES);
        ClientHandshake ch = new ClientHandshake(clientSettings);
        ServerHandshake sh = new ServerHandshake(serverSettings);
        byte[] cf = ch.onServerHello(sh.onClientHello(ch.start(), node -> SESSION_ID, KEEPALIVE_MS));
        ServerHandshake.Finish finish = sh.onClientFinish(cf);
        firstClient = ch.onServerFinish(finish.serverFinish());
        firstServer = finish.result();
        assertEquals(FEATURES, firstClient.features());
        sealer = new TicketSealer((byte) 7, key(0x11), (byte) 6, null, random);
        byte[] serverSecret = firstServer.secrets().resumptionSecret(1);
        clientResumptionSecret = firstClient.secrets().resumptionSecret(1);
        assertArrayEquals(serverSecret, clientResumptionSecret, "both sides derive the same resumption secret");
        ticket = sealer.seal(new TicketContents(SESSION_ID, 1, serverIdentity.address(), NOW + 60, serverSecret));
        assertEquals(TicketSealer.TICKET_SIZE, ticket.length);
        assertEquals(86, ticket.length);
    }

    @AfterEach
    void close() {
        firstClient.secrets().close();
        firstServer.secrets().close();
        results.forEach(r -> r.secrets().close());
        sealer.close();
        clientIdentity.close();
        serverIdentity.close();
    }

    static byte[] key(int first) {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (first + i);
        }
        return k;
    }

    ClientResumption client() {
        return new ClientResumption(clientSettings, ticket, 1, clientResumptionSecret);
    }

    ServerResumption server() {
        return new ServerResumption(serverSettings, sealer, serverIdentity.address(), NOW);
    }

    @Test
    void clientAndServerResumeAndShareTrafficKeys() throws Exception {
        ClientResumption client = client();
        ServerResumption server = server();
        List<String> claims = new ArrayList<>();
        byte[] hello = client.start();
        assertEquals(HandshakeMessage.KIND_RESUME_HELLO, hello[0]);
        byte[] accept = server.onResumeHello(hello, (session, number) -> claims.add(session + "/" + number), KEEPALIVE_MS);
        assertEquals(List.of(SESSION_ID + "/1"), claims, "the session table is asked once, with the ticket's session and number");
        assertEquals(SESSION_ID, server.ticket().sessionId());
        assertEquals(1, server.ticket().ticketNumber());
        assertEquals(0, server.ticket().resumptionSecret().length, "the secret is not handed out");
        ClientResumption.Finished finished = client.onResumeAccept(accept);
        HandshakeResult c = finished.result();
        HandshakeResult s = server.onResumeFinish(finished.resumeFinish());
        results.add(c);
        results.add(s);
        assertEquals(ClientResumption.State.DONE, client.state());
        assertEquals(ServerResumption.State.DONE, server.state());
        assertEquals(SESSION_ID, c.sessionId());
        assertEquals(SESSION_ID, s.sessionId());
        assertEquals(KEEPALIVE_MS, c.keepAliveTimeoutMillis());
        assertEquals(FEATURES, c.features());
        assertEquals(FEATURES, s.features());
        assertEquals(AeadSuite.AES_256_GCM, c.suite());
        assertNull(c.peer());
        assertNull(s.peer());
        assertEquals(NodeAddress.NONE, s.node());
        assertEquals(NodeAddress.NONE, c.node());
        assertArrayEquals(c.secrets().transcriptHash(), s.secrets().transcriptHash());
        sealsOneWayOpensTheOther(c.secrets(), s.secrets());
        sealsOneWayOpensTheOther(s.secrets(), c.secrets());
        assertArrayEquals(c.secrets().channel(1, 1, null).check(), s.secrets().channel(1, 1, null).check());
        assertArrayEquals(c.secrets().resumptionSecret(2), s.secrets().resumptionSecret(2),
                "the resumed session's next ticket secret is shared too");
        assertFalse(Arrays.equals(c.secrets().resumptionSecret(2), firstClient.secrets().resumptionSecret(2)),
                "a resumed session has a new master");
    }

    static void sealsOneWayOpensTheOther(SessionSecrets from, SessionSecrets to) throws AeadFailure {
        byte[] frame = new byte[FrameHeader.SIZE + PAYLOAD.length + FrameCipher.TAG_SIZE];
        FrameHeader.write(frame, 0, PAYLOAD.length + FrameCipher.TAG_SIZE, PacketType.DATA, 0, 1, Flags.ENCRYPTED);
        System.arraycopy(PAYLOAD, 0, frame, FrameHeader.SIZE, PAYLOAD.length);
        try (FrameCipher sealing = from.sending().cipher(); FrameCipher opening = to.receiving().cipher()) {
            sealing.seal(ByteBuffer.wrap(frame), 0, PAYLOAD.length);
            ByteBuffer payload = ByteBuffer.wrap(frame, FrameHeader.SIZE, PAYLOAD.length + FrameCipher.TAG_SIZE);
            int n = opening.open(PAYLOAD.length + FrameCipher.TAG_SIZE, PacketType.DATA.code(), 0, 1, Flags.ENCRYPTED, payload.slice());
            assertEquals(PAYLOAD.length, n);
            assertArrayEquals(PAYLOAD, Arrays.copyOfRange(frame, FrameHeader.SIZE, FrameHeader.SIZE + PAYLOAD.length));
        }
    }

    // ---- the acceptor's refusals, each with its code, in the documented order ----

    /** The code the acceptor refuses {@code hello} with; the session table must not have been asked. */
    ErrorCode refusedBeforeTheTable(ServerResumption server, byte[] hello) {
        List<Integer> claims = new ArrayList<>();
        HandshakeException e = assertThrows(HandshakeException.class,
                () -> server.onResumeHello(hello, (session, number) -> claims.add(session), KEEPALIVE_MS));
        assertEquals(ServerResumption.State.FAILED, server.state());
        assertEquals(List.of(), claims, "the ticket is not spent by a refused RESUME_HELLO");
        return e.code();
    }

    /** A ticket of other contents, sealed by this test's sealer, and a connector that holds its secret. */
    ClientResumption clientWith(int sessionId, NodeAddress owner, long expiresAt) {
        byte[] secret = key(0x55);
        byte[] other = sealer.seal(new TicketContents(sessionId, 1, owner, expiresAt, secret.clone()));
        return new ClientResumption(clientSettings, other, 1, secret);
    }

    @Test
    void aTamperedBinderIsTicketBinderMismatch() {
        byte[] hello = client().start();
        hello[hello.length - 1] ^= 1;
        assertEquals(ErrorCode.TICKET_BINDER_MISMATCH, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void aConnectorWithoutTheSecretIsTicketBinderMismatch() {
        byte[] hello = new ClientResumption(clientSettings, ticket, 1, key(0x77)).start();
        assertEquals(ErrorCode.TICKET_BINDER_MISMATCH, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void anotherFieldOfTheHelloChangesTheBinder() {
        byte[] hello = client().start();
        hello[1 + 6 + 2 + ticket.length] ^= 1; // the hello random: covered by the binder
        assertEquals(ErrorCode.TICKET_BINDER_MISMATCH, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void aTicketSealedUnderAnotherKeyIsTicketInvalid() {
        try (TicketSealer other = new TicketSealer((byte) 7, key(0x99), (byte) 6, null, new SecureRandom())) {
            byte[] foreign = other.seal(new TicketContents(SESSION_ID, 1, serverIdentity.address(), NOW + 60, clientResumptionSecret.clone()));
            byte[] hello = new ClientResumption(clientSettings, foreign, 1, clientResumptionSecret).start();
            assertEquals(ErrorCode.TICKET_INVALID, refusedBeforeTheTable(server(), hello));
        }
    }

    @Test
    void aTicketWithAnUnknownKeyIdOrAFlippedByteOrAnotherLengthIsTicketInvalid() {
        for (int at : new int[]{0, 1, 13, 40, TicketSealer.TICKET_SIZE - 1}) {
            byte[] bad = ticket.clone();
            bad[at] ^= 1;
            HandshakeException e = assertThrows(HandshakeException.class, () -> sealer.open(bad), "byte " + at);
            assertEquals(ErrorCode.TICKET_INVALID, e.code(), "byte " + at);
        }
        for (byte[] bad : new byte[][]{Arrays.copyOf(ticket, 85), Arrays.copyOf(ticket, 87), new byte[1]}) {
            HandshakeException e = assertThrows(HandshakeException.class, () -> sealer.open(bad));
            assertEquals(ErrorCode.TICKET_INVALID, e.code());
        }
        byte[] truncated = Arrays.copyOf(ticket, 85);
        byte[] hello = new ClientResumption(clientSettings, truncated, 1, clientResumptionSecret).start();
        assertEquals(ErrorCode.TICKET_INVALID, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void aTicketOfAnotherVersionIsTicketInvalid() throws Exception {
        byte[] plaintext = new byte[TicketSealer.PLAINTEXT_SIZE];
        plaintext[0] = 2;
        byte[] forged = new byte[TicketSealer.TICKET_SIZE];
        forged[0] = 7;
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key(0x11), "AES"),
                new GCMParameterSpec(128, forged, 1, 12));
        gcm.updateAAD("dap-stream v1 ticket\u0007".getBytes(StandardCharsets.US_ASCII));
        gcm.doFinal(plaintext, 0, plaintext.length, forged, 13);
        HandshakeException e = assertThrows(HandshakeException.class, () -> sealer.open(forged));
        assertEquals(ErrorCode.TICKET_INVALID, e.code());
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
        plaintext[0] = 1; // the same forgery with version 1 opens: the key, the nonce and the aad were right
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key(0x11), "AES"),
                new GCMParameterSpec(128, forged, 2, 12));
        System.arraycopy(forged, 2, forged, 1, 12);
        gcm.updateAAD("dap-stream v1 ticket\u0007".getBytes(StandardCharsets.US_ASCII));
        gcm.doFinal(plaintext, 0, plaintext.length, forged, 13);
        assertEquals(0, sealer.open(forged).sessionId());
    }

    @Test
    void anExpiredTicketIsTicketExpired() {
        byte[] hello = clientWith(SESSION_ID, serverIdentity.address(), NOW - 1).start();
        assertEquals(ErrorCode.TICKET_EXPIRED, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void aTicketExpiringThisSecondStillResumes() throws Exception {
        byte[] hello = clientWith(SESSION_ID, serverIdentity.address(), NOW).start();
        assertEquals(HandshakeMessage.KIND_RESUME_ACCEPT, server().onResumeHello(hello, (session, number) -> { }, KEEPALIVE_MS)[0]);
    }

    @Test
    void anotherNodesTicketIsTicketWrongNode() {
        byte[] hello = clientWith(SESSION_ID, clientIdentity.address(), NOW + 60).start();
        assertEquals(ErrorCode.TICKET_WRONG_NODE, refusedBeforeTheTable(server(), hello));
    }

    @Test
    void theChecksRunInTheDocumentedOrder() {
        // Expired and another node's: the expiry is checked first.
        byte[] both = clientWith(SESSION_ID, clientIdentity.address(), NOW - 1).start();
        assertEquals(ErrorCode.TICKET_EXPIRED, refusedBeforeTheTable(server(), both));
        // ... and a wrong binder before either.
        both[both.length - 1] ^= 1;
        assertEquals(ErrorCode.TICKET_BINDER_MISMATCH, refusedBeforeTheTable(server(), both));
    }

    @Test
    void theSessionTablesCodesPropagate() {
        for (ErrorCode code : new ErrorCode[]{ErrorCode.SESSION_UNKNOWN, ErrorCode.TICKET_REPLAYED}) {
            ServerResumption server = server();
            byte[] hello = client().start();
            List<Long> asked = new ArrayList<>();
            HandshakeException e = assertThrows(HandshakeException.class, () -> server.onResumeHello(hello, (session, number) -> {
                asked.add(number);
                throw new HandshakeException(code, "refused by the table");
            }, KEEPALIVE_MS));
            assertEquals(code, e.code());
            assertEquals(List.of(1L), asked);
            assertEquals(ServerResumption.State.FAILED, server.state());
            assertThrows(IllegalStateException.class, () -> server.onResumeFinish(new byte[33]));
        }
    }

    @Test
    void anAcceptorThatDoesNotAgreeResumptionRefusesBeforeOpeningTheTicket() {
        ServerResumption server = new ServerResumption(serverSettings.withFeatures(Features.ACKS), sealer, serverIdentity.address(), NOW);
        assertEquals(ErrorCode.NO_COMMON_SUITE, refusedBeforeTheTable(server, client().start()));
        assertNull(server.ticket(), "refused before the ticket was opened");
    }

    @Test
    void aConnectorCannotResumeWithoutOfferingResumptionAndAcks() {
        assertThrows(IllegalArgumentException.class,
                () -> new ClientResumption(clientSettings.withFeatures(Features.ACKS), ticket, 1, clientResumptionSecret));
    }

    @Test
    void aMalformedHelloIsMalformedHandshake() {
        byte[] hello = client().start();
        assertEquals(ErrorCode.MALFORMED_HANDSHAKE, refusedBeforeTheTable(server(), Arrays.copyOf(hello, hello.length - 1)));
        assertEquals(ErrorCode.MALFORMED_HANDSHAKE, refusedBeforeTheTable(server(), new byte[]{HandshakeMessage.KIND_CLIENT_HELLO}));
    }

    // ---- the connector's and the acceptor's MAC checks ----

    @Test
    void aTamperedResumeAcceptMacFailsTheConnector() throws Exception {
        ClientResumption client = client();
        byte[] accept = server().onResumeHello(client.start(), (session, number) -> { }, KEEPALIVE_MS);
        accept[accept.length - 1] ^= 1;
        HandshakeException e = assertThrows(HandshakeException.class, () -> client.onResumeAccept(accept));
        assertEquals(ErrorCode.BAD_FINISHED, e.code());
        assertEquals(ClientResumption.State.FAILED, client.state());
        assertThrows(IllegalStateException.class, () -> client.onResumeAccept(accept));
    }

    @Test
    void aTamperedResumeAcceptFieldFailsTheConnectorsMacCheck() throws Exception {
        ClientResumption client = client();
        byte[] accept = server().onResumeHello(client.start(), (session, number) -> { }, KEEPALIVE_MS);
        accept[7] ^= 1; // session id: covered by the mac
        assertEquals(ErrorCode.BAD_FINISHED, assertThrows(HandshakeException.class, () -> client.onResumeAccept(accept)).code());
    }

    @Test
    void aResumeAcceptWithoutResumptionOrAcksIsNoCommonSuite() throws Exception {
        for (int features : new int[]{Features.ACKS, Features.RESUMPTION, 0x0004 | FEATURES}) {
            ClientResumption client = client();
            byte[] accept = server().onResumeHello(client.start(), (session, number) -> { }, KEEPALIVE_MS);
            accept[5] = (byte) features;
            accept[6] = (byte) (features >>> 8);
            assertEquals(ErrorCode.NO_COMMON_SUITE, assertThrows(HandshakeException.class, () -> client.onResumeAccept(accept)).code(),
                    String.format("features 0x%04x", features));
        }
    }

    @Test
    void aTamperedResumeFinishMacFailsTheAcceptor() throws Exception {
        ClientResumption client = client();
        ServerResumption server = server();
        byte[] finish = client.onResumeAccept(server.onResumeHello(client.start(), (session, number) -> { }, KEEPALIVE_MS)).resumeFinish();
        finish[1] ^= 1;
        assertEquals(ErrorCode.BAD_FINISHED, assertThrows(HandshakeException.class, () -> server.onResumeFinish(finish)).code());
        assertEquals(ServerResumption.State.FAILED, server.state());
    }

    // ---- ticket keys ----

    @Test
    void afterARotationThePreviousKeyStillOpensAndTheOneBeforeItDoesNot() throws Exception {
        SecureRandom random = new SecureRandom();
        try (TicketSealer rotated = new TicketSealer((byte) 8, key(0x22), (byte) 7, key(0x11), random);
             TicketSealer twice = new TicketSealer((byte) 9, key(0x33), (byte) 8, key(0x22), random)) {
            TicketContents old = rotated.open(ticket);
            assertEquals(SESSION_ID, old.sessionId());
            assertEquals(1, old.ticketNumber());
            assertEquals(serverIdentity.address(), old.owner());
            assertEquals(NOW + 60, old.expiresAtSeconds());
            assertArrayEquals(clientResumptionSecret, old.resumptionSecret());
            byte[] fresh = rotated.seal(old);
            assertEquals(8, fresh[0], "a rotated sealer seals under its current key");
            assertEquals(SESSION_ID, twice.open(fresh).sessionId());
            assertEquals(ErrorCode.TICKET_INVALID, assertThrows(HandshakeException.class, () -> twice.open(ticket)).code());

            // The whole resumption with the rotated sealer.
            ClientResumption client = client();
            ServerResumption server = new ServerResumption(serverSettings, rotated, serverIdentity.address(), NOW);
            HandshakeResult c = client.onResumeAccept(server.onResumeHello(client.start(), (session, number) -> { }, KEEPALIVE_MS)).result();
            results.add(c);
            assertEquals(SESSION_ID, c.sessionId());
        }
    }

    @Test
    void aSealerRefusesTwoKeysOfOneIdAndWorksNoMoreAfterClose() {
        assertThrows(IllegalArgumentException.class, () -> new TicketSealer((byte) 1, key(1), (byte) 1, key(2), new SecureRandom()));
        assertThrows(IllegalArgumentException.class, () -> new TicketSealer((byte) 1, new byte[16], (byte) 0, null, new SecureRandom()));
        TicketSealer closing = new TicketSealer((byte) 1, key(1), (byte) 0, null, new SecureRandom());
        closing.close();
        assertThrows(IllegalStateException.class, () -> closing.open(ticket));
    }

    @Test
    void sealedTicketsDifferEachTimeAndHideTheirContents() {
        TicketContents contents = new TicketContents(SESSION_ID, 1, serverIdentity.address(), NOW + 60, clientResumptionSecret.clone());
        byte[] a = sealer.seal(contents);
        byte[] b = sealer.seal(contents);
        assertFalse(Arrays.equals(a, b), "a fresh nonce per ticket");
        for (int i = 0; i + 32 <= a.length; i++) {
            assertFalse(Arrays.equals(Arrays.copyOfRange(a, i, i + 32), clientResumptionSecret), "the secret is not in the clear");
        }
    }

    @Test
    void resumptionSecretsDifferPerTicketAndEndWithTheSession() {
        byte[] one = firstClient.secrets().resumptionSecret(1);
        byte[] two = firstClient.secrets().resumptionSecret(2);
        assertFalse(Arrays.equals(one, two));
        assertArrayEquals(one, firstClient.secrets().resumptionSecret(1), "a fresh array of the same secret each time");
        assertThrows(IllegalArgumentException.class, () -> firstClient.secrets().resumptionSecret(-1));
        assertThrows(IllegalArgumentException.class, () -> firstClient.secrets().resumptionSecret(0x1_0000_0000L));
        firstClient.secrets().close();
        assertThrows(IllegalStateException.class, () -> firstClient.secrets().resumptionSecret(1));
    }
}
