package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.dapstream.protocol.Features;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
}
