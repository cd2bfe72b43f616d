package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;

import java.util.Objects;

/**
 * The connector's side of the abbreviated handshake that resumes a session: RESUME_HELLO
 * (with the ticket and its binder), then RESUME_ACCEPT in and RESUME_FINISH out. No
 * signatures: the binder and the accept's MAC prove both sides hold the ticket's resumption
 * secret, and a fresh hybrid exchange keeps forward secrecy. Pure, like {@link ClientHandshake};
 * any failure moves it to {@link State#FAILED} for good and wipes what it held.
 */
public final class ClientResumption {
    public enum State { START, WAIT_RESUME_ACCEPT, DONE, FAILED }

    /** Both must stay agreed on a resumed session: acknowledgements are what it resends from. */
    private static final int REQUIRED_FEATURES = Features.ACKS | Features.RESUMPTION;

    private final HandshakeSettings settings;
    private final byte[] ticket;
    private final long ticketNumber;
    private final byte[] resumptionSecret;
    private final Transcript transcript = new Transcript();
    private State state = State.START;
    private HybridKem.ClientKeys keys;
    private int offeredSuites;
    private int offeredFeatures;

    /** The completed resumption and the RESUME_FINISH to send. */
    public record Finished(byte[] resumeFinish, HandshakeResult result) {
    }

    /**
     * @param settings         this side's settings; its features must offer RESUMPTION and ACKS
     * @param ticket           the newest ticket of the session, as the acceptor sent it
     * @param ticketNumber     that ticket's number (kept for the caller's bookkeeping)
     * @param resumptionSecret the session's resumption secret for {@code ticketNumber} (copied;
     *                         the caller wipes its own)
     */
    public ClientResumption(HandshakeSettings settings, byte[] ticket, long ticketNumber, byte[] resumptionSecret) {
        this.settings = Objects.requireNonNull(settings, "settings");
        if (!Features.has(settings.features(), REQUIRED_FEATURES)) {
            throw new IllegalArgumentException(String.format("a resumption offers RESUMPTION and ACKS; the settings offer 0x%04x",
                    settings.features()));
        }
        if (ticket == null || ticket.length < 1 || ticket.length > HandshakeCodec.MAX_TICKET) {
            throw new IllegalArgumentException("a ticket is 1.." + HandshakeCodec.MAX_TICKET + " bytes");
        }
        if (resumptionSecret == null || resumptionSecret.length != KeySchedule.KEY_SIZE) {
            throw new IllegalArgumentException("a resumption secret is " + KeySchedule.KEY_SIZE + " bytes");
        }
        this.ticket = ticket.clone();
        this.ticketNumber = ticketNumber;
        this.resumptionSecret = resumptionSecret.clone();
    }

    public State state() {
        return state;
    }

    /** The number of the ticket this resumption spends. */
    public long ticketNumber() {
        return ticketNumber;
    }

    /** RESUME_HELLO. Random draws, in order: hello random (32), X25519 key (32), ML-KEM seed (64). */
    public byte[] start() {
        require(State.START);
        try {
            byte[] random = new byte[HandshakeMessage.RANDOM_SIZE];
            settings.random().nextBytes(random);
            byte[] keyRandom = new byte[HybridKem.CLIENT_RANDOM_BYTES];
            settings.random().nextBytes(keyRandom);
            keys = HybridKem.clientKeys(keyRandom);
            Secrets.wipe(keyRandom);
            offeredSuites = settings.suiteMask();
            offeredFeatures = settings.features();
            byte[] hello = HandshakeCodec.encode(new HandshakeMessage.ResumeHello(Negotiation.VERSION, offeredSuites, offeredFeatures,
                    ticket, random, keys.share(), new byte[HandshakeMessage.MAC_SIZE]));
            byte[] binder = KeySchedule.binder(resumptionSecret, hello);
            System.arraycopy(binder, 0, hello, hello.length - HandshakeMessage.MAC_SIZE, HandshakeMessage.MAC_SIZE);
            transcript.add(hello);
            state = State.WAIT_RESUME_ACCEPT;
            return hello;
        } catch (RuntimeException e) {
            fail();
            throw e;
        }
    }

    /**
     * Checks RESUME_ACCEPT (version, choices, its MAC) and returns RESUME_FINISH with the
     * result: no peer identity (a resumption proves none; the session's first handshake did),
     * {@code node} the settings' expected peer or {@link NodeAddress#NONE}.
     */
    public Finished onResumeAccept(byte[] raw) throws HandshakeException {
        require(State.WAIT_RESUME_ACCEPT);
        byte[] handshakeSecret = null;
        try {
            HandshakeMessage.ResumeAccept ra = (HandshakeMessage.ResumeAccept) Negotiation.decode(raw,
                    HandshakeMessage.KIND_RESUME_ACCEPT, "RESUME_ACCEPT");
            if (ra.version() != Negotiation.VERSION) {
                throw new HandshakeException(ErrorCode.UNSUPPORTED_VERSION, "server chose protocol version " + ra.version()
                        + ", this node speaks " + Negotiation.VERSION);
            }
            AeadSuite suite = AeadSuite.fromWireId(ra.suite());
            if (Integer.bitCount(ra.suite()) != 1 || suite == null || (ra.suite() & offeredSuites) == 0) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format("server chose suite 0x%04x, which was not offered", ra.suite()));
            }
            if ((ra.features() & ~offeredFeatures) != 0 || !Features.has(ra.features(), REQUIRED_FEATURES)) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format(
                        "server chose features 0x%04x for a resumption, offered 0x%04x (RESUMPTION and ACKS must stay)",
                        ra.features(), offeredFeatures));
            }
            byte[] shared = keys.decapsulate(ra.keyShare());
            keys.close();
            byte[] acceptHash = transcript.hashWith(raw, raw.length - HandshakeMessage.MAC_SIZE);
            handshakeSecret = KeySchedule.resumeHandshakeSecret(acceptHash, resumptionSecret, shared);
            Secrets.wipe(shared);
            byte[] serverFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.SERVER_FINISHED, Hkdf.HASH_SIZE);
            try {
                Negotiation.checkMac("server", serverFinishedKey, acceptHash, ra.mac());
            } finally {
                Secrets.wipe(serverFinishedKey);
            }
            transcript.add(raw);
            byte[] clientFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.CLIENT_FINISHED, Hkdf.HASH_SIZE);
            byte[] mac = Hkdf.hmac(clientFinishedKey, transcript.hash());
            Secrets.wipe(clientFinishedKey);
            byte[] finish = HandshakeCodec.encode(new HandshakeMessage.ResumeFinish(mac));
            transcript.add(finish);
            byte[] master = KeySchedule.masterSecret(transcript.hash(), handshakeSecret);
            SessionSecrets secrets = new SessionSecrets(suite, true, master, transcript.hash());
            Secrets.wipe(master, handshakeSecret, resumptionSecret);
            state = State.DONE;
            NodeAddress node = settings.expectedPeer() != null ? settings.expectedPeer() : NodeAddress.NONE;
            return new Finished(finish, new HandshakeResult(secrets, null, node, suite, ra.features(), ra.sessionId(),
                    ra.keepAliveTimeoutMillis()));
        } catch (HandshakeException | RuntimeException e) {
            Secrets.wipe(handshakeSecret);
            fail();
            throw e;
        }
    }

    /** Abandons the resumption (the stream failed or closed): FAILED, secrets wiped. */
    public void fail() {
        if (state == State.DONE) {
            return;
        }
        state = State.FAILED;
        if (keys != null) {
            keys.close();
        }
        Secrets.wipe(resumptionSecret);
    }

    private void require(State expected) {
        if (state != expected) {
            throw new IllegalStateException("client resumption is " + state + ", not " + expected);
        }
    }
}
