package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * The acceptor's side of the abbreviated handshake: RESUME_HELLO in, RESUME_ACCEPT out,
 * RESUME_FINISH in. Pure, like {@link ServerHandshake}: the node's session table is reached
 * through a {@link SessionCheck}. Any failure moves it to {@link State#FAILED} for good and
 * wipes what it held.
 *
 * <p>RESUME_HELLO is checked in this order, each with its code: structure
 * (MALFORMED_HANDSHAKE; then the version, UNSUPPORTED_VERSION, and the choices,
 * NO_COMMON_SUITE, which need nothing secret and must fail before the ticket is spent), the
 * ticket opens (TICKET_INVALID), the binder (TICKET_BINDER_MISMATCH), the expiry
 * (TICKET_EXPIRED), the owner (TICKET_WRONG_NODE), the connector's key share
 * (MALFORMED_HANDSHAKE), then the session table (SESSION_UNKNOWN, TICKET_REPLAYED), which
 * spends the ticket.
 */
public final class ServerResumption {
    public enum State { WAIT_RESUME_HELLO, WAIT_RESUME_FINISH, DONE, FAILED }

    /** Both must be agreed on a resumed session: acknowledgements are what it resends from. */
    private static final int REQUIRED_FEATURES = Features.ACKS | Features.RESUMPTION;

    /** The node's session table, asked once the ticket has proved itself. */
    @FunctionalInterface
    public interface SessionCheck {
        /**
         * Spends ticket {@code ticketNumber} of session {@code sessionId}, or refuses it:
         * SESSION_UNKNOWN when the session is not here, TICKET_REPLAYED when the ticket is not
         * its newest or was already used.
         */
        void claim(int sessionId, long ticketNumber) throws HandshakeException;
    }

    private final HandshakeSettings settings;
    private final TicketSealer sealer;
    private final NodeAddress self;
    private final Predicate<NodeAddress> members;
    private final long nowSeconds;
    private final Transcript transcript = new Transcript();
    private State state = State.WAIT_RESUME_HELLO;
    private TicketContents ticket;
    private AeadSuite suite;
    private int features;
    private int keepAliveTimeoutMillis;
    private byte[] handshakeSecret;

    /**
     * @param settings   this node's settings (suites in preference order, features it accepts, randomness)
     * @param sealer     opens the tickets this node issued
     * @param self       this node's address: a ticket must be owned by it
     * @param nowSeconds the time a ticket's expiry is compared with (Unix seconds)
     */
    public ServerResumption(HandshakeSettings settings, TicketSealer sealer, NodeAddress self, long nowSeconds) {
        this(settings, sealer, self, owner -> false, nowSeconds);
    }

    /**
     * @param members the other nodes whose tickets this node takes: the members of its cluster
     *                that would hand their sessions over (PROTOCOL.md section 33)
     */
    public ServerResumption(HandshakeSettings settings, TicketSealer sealer, NodeAddress self, Predicate<NodeAddress> members,
                            long nowSeconds) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sealer = Objects.requireNonNull(sealer, "sealer");
        this.self = Objects.requireNonNull(self, "self");
        this.members = Objects.requireNonNull(members, "members");
        this.nowSeconds = nowSeconds;
    }

    public State state() {
        return state;
    }

    /**
     * What the ticket carried, once it opened (else null); its resumption secret is not
     * handed out (an empty array).
     */
    public TicketContents ticket() {
        return ticket == null ? null
                : new TicketContents(ticket.sessionId(), ticket.ticketNumber(), ticket.owner(), ticket.expiresAtSeconds(), new byte[0]);
    }

    /**
     * Checks RESUME_HELLO (see the class comment for the order) and returns RESUME_ACCEPT.
     * Random draws, in order: hello random (32), X25519 key (32), ML-KEM message (32).
     */
    public byte[] onResumeHello(byte[] raw, SessionCheck check, int keepAliveTimeoutMillis) throws HandshakeException {
        require(State.WAIT_RESUME_HELLO);
        try {
            HandshakeMessage.ResumeHello rh = (HandshakeMessage.ResumeHello) Negotiation.decode(raw,
                    HandshakeMessage.KIND_RESUME_HELLO, "RESUME_HELLO");
            if (rh.version() != Negotiation.VERSION) {
                throw new HandshakeException(ErrorCode.UNSUPPORTED_VERSION, "client speaks protocol version " + rh.version()
                        + ", this node speaks " + Negotiation.VERSION);
            }
            suite = null;
            for (AeadSuite candidate : settings.suites()) {
                if ((rh.suites() & candidate.wireId()) != 0) {
                    suite = candidate;
                    break;
                }
            }
            if (suite == null) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format("client offers suites 0x%04x, this node accepts 0x%04x",
                        rh.suites(), settings.suiteMask()));
            }
            features = rh.features() & settings.features();
            if (!Features.has(features, REQUIRED_FEATURES)) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format(
                        "a resumption needs RESUMPTION and ACKS; client offers features 0x%04x, this node accepts 0x%04x",
                        rh.features(), settings.features()));
            }
            ticket = sealer.open(rh.ticket());
            byte[] binder = KeySchedule.binder(ticket.resumptionSecret(), raw);
            try {
                if (!ConstantTime.equals(binder, rh.binder())) {
                    throw new HandshakeException(ErrorCode.TICKET_BINDER_MISMATCH,
                            "RESUME_HELLO binder is wrong: the sender does not hold the ticket's resumption secret");
                }
            } finally {
                Secrets.wipe(binder);
            }
            if (ticket.expiresAtSeconds() < nowSeconds) {
                throw new HandshakeException(ErrorCode.TICKET_EXPIRED, "ticket " + ticket.ticketNumber() + " of session "
                        + ticket.sessionId() + " expired at " + ticket.expiresAtSeconds() + ", now is " + nowSeconds);
            }
            if (!ticket.owner().equals(self) && !members.test(ticket.owner())) {
                throw new HandshakeException(ErrorCode.TICKET_WRONG_NODE, "ticket was issued by node " + ticket.owner()
                        + ", this is " + self + ", and the issuer is not a member linked to it");
            }
            byte[] random = new byte[HandshakeMessage.RANDOM_SIZE];
            settings.random().nextBytes(random);
            byte[] keyRandom = new byte[HybridKem.SERVER_RANDOM_BYTES];
            settings.random().nextBytes(keyRandom);
            HybridKem.ServerResult kem;
            try {
                kem = HybridKem.serverRespond(rh.keyShare(), keyRandom);
            } finally {
                Secrets.wipe(keyRandom);
            }
            try {
                check.claim(ticket.sessionId(), ticket.ticketNumber());
                transcript.add(raw);
                this.keepAliveTimeoutMillis = keepAliveTimeoutMillis;
                byte[] accept = HandshakeCodec.encode(new HandshakeMessage.ResumeAccept(Negotiation.VERSION, suite.wireId(), features,
                        ticket.sessionId(), keepAliveTimeoutMillis, random, kem.share(), new byte[HandshakeMessage.MAC_SIZE]));
                byte[] acceptHash = transcript.hashWith(accept, accept.length - HandshakeMessage.MAC_SIZE);
                handshakeSecret = KeySchedule.resumeHandshakeSecret(acceptHash, ticket.resumptionSecret(), kem.sharedSecret());
                byte[] serverFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.SERVER_FINISHED, Hkdf.HASH_SIZE);
                byte[] mac = Hkdf.hmac(serverFinishedKey, acceptHash);
                Secrets.wipe(serverFinishedKey, ticket.resumptionSecret());
                System.arraycopy(mac, 0, accept, accept.length - HandshakeMessage.MAC_SIZE, HandshakeMessage.MAC_SIZE);
                transcript.add(accept);
                state = State.WAIT_RESUME_FINISH;
                return accept;
            } finally {
                Secrets.wipe(kem.sharedSecret());
            }
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    /**
     * Checks RESUME_FINISH's MAC; the session is resumed. The result names no peer identity
     * and {@link NodeAddress#NONE}: the node knows the session's peer from its table.
     */
    public HandshakeResult onResumeFinish(byte[] raw) throws HandshakeException {
        require(State.WAIT_RESUME_FINISH);
        try {
            HandshakeMessage.ResumeFinish rf = (HandshakeMessage.ResumeFinish) Negotiation.decode(raw,
                    HandshakeMessage.KIND_RESUME_FINISH, "RESUME_FINISH");
            byte[] clientFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.CLIENT_FINISHED, Hkdf.HASH_SIZE);
            try {
                Negotiation.checkMac("client", clientFinishedKey, transcript.hash(), rf.mac());
            } finally {
                Secrets.wipe(clientFinishedKey);
            }
            transcript.add(raw);
            byte[] master = KeySchedule.masterSecret(transcript.hash(), handshakeSecret);
            SessionSecrets secrets = new SessionSecrets(suite, false, master, transcript.hash());
            Secrets.wipe(master, handshakeSecret);
            state = State.DONE;
            return new HandshakeResult(secrets, null, NodeAddress.NONE, suite, features, ticket.sessionId(), keepAliveTimeoutMillis);
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    /** Abandons the resumption: FAILED, secrets wiped. */
    public void fail() {
        if (state == State.DONE) {
            return;
        }
        state = State.FAILED;
        Secrets.wipe(handshakeSecret);
        if (ticket != null) {
            Secrets.wipe(ticket.resumptionSecret());
        }
    }

    private void require(State expected) {
        if (state != expected) {
            throw new IllegalStateException("server resumption is " + state + ", not " + expected);
        }
    }
}
