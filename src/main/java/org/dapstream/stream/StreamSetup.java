package org.dapstream.stream;

import org.dapstream.crypto.ClientHandshake;
import org.dapstream.crypto.ClientResumption;
import org.dapstream.crypto.HandshakeException;
import org.dapstream.crypto.HandshakeResult;
import org.dapstream.crypto.ServerHandshake;
import org.dapstream.crypto.ServerResumption;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.SessionState;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A stream's setup (PROTOCOL.md sections 7 and 20): the plaintext HELLO/WELCOME, or the
 * secure handshake with its crypto on the handshake workers, then the session the stream
 * joins. The stream's setup deadline ends it if this does not finish in time.
 * Event-loop confined; a handshake step's crypto runs on a worker, and its result comes back
 * to the loop before anything here is touched again.
 */
final class StreamSetup {
    private static final System.Logger LOG = System.getLogger(StreamSetup.class.getName());
    /** The features bitmap of protocol version 1: none defined. */
    static final int FEATURES_V1 = 0;

    private final Stream stream;
    private final StreamRole role;
    private final LocalNode node;
    private final StreamTransport transport;
    /** Null: the plaintext HELLO/WELCOME setup (security disabled on this node). */
    private final StreamSecurity security;
    private ClientHandshake clientHandshake;
    private ServerHandshake serverHandshake;
    /** The abbreviated handshake of a resumption (PROTOCOL.md section 32), instead of the full one. */
    private ClientResumption clientResumption;
    private ServerResumption serverResumption;
    /** Acceptor: the session a RESUME_HELLO's ticket claimed, until the resumption completes or fails. */
    private Session resuming;
    private long resumingTicket;
    /** Acceptor: the member that issued the RESUME_HELLO's ticket, when another (it hands the session over), and the id held for it. */
    private NodeAddress owner;
    private int heldSessionId;
    /** Acceptor: {@link #owner} is not reachable (it crashed): its session is claimed, and resumes with a gap (PROTOCOL.md 33.7). */
    private boolean lostOwner;
    /** This setup is a resumption (counted under the resumes meter, not the handshakes one). */
    private boolean resumptionAttempt;
    /** A handshake step's crypto runs on a worker: the handshake is not touched here until it returns. */
    private boolean stepRunning;

    StreamSetup(Stream stream, StreamRole role, LocalNode node, StreamTransport transport) {
        this.stream = stream;
        this.role = role;
        this.node = node;
        this.transport = transport;
        this.security = node.security();
    }

    /** The first move: a connector sends HELLO or CLIENT_HELLO; an acceptor waits. */
    void start() throws ProtocolException {
        if (security != null) {
            if (role == StreamRole.CONNECTOR && stream.resumption.resumingWith() != null) {
                ResumeTicket t = stream.resumption.resumingWith();
                resumptionAttempt = true;
                ClientResumption r = clientResumption = new ClientResumption(security.handshake(), t.ticket(), t.number(), t.secret());
                step(r::start, this::sendControl, null);
            } else if (role == StreamRole.CONNECTOR) {
                ClientHandshake hs = clientHandshake = new ClientHandshake(security.handshake());
                step(hs::start, this::sendControl, null);
            } else {
                serverHandshake = new ServerHandshake(security.handshake());
            }
        } else if (role == StreamRole.CONNECTOR) {
            sendControl(ControlCodec.encode(new ControlMessage.Hello(ControlMessage.PROTOCOL_VERSION, FEATURES_V1, node.address())));
        }
    }

    // ---------------------------------------------------------------- plaintext setup

    void onHello(ControlMessage.Hello hello) throws ProtocolException {
        if (role != StreamRole.ACCEPTOR || stream.state() != StreamState.SETUP) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "HELLO is only the connecting side's first frame");
        }
        if (security != null) {
            throw new ProtocolException(ErrorCode.SECURITY_REQUIRED, "this node accepts only secure streams: start with CLIENT_HELLO");
        }
        if (hello.version() != ControlMessage.PROTOCOL_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "peer speaks protocol version " + hello.version() + ", this node speaks " + ControlMessage.PROTOCOL_VERSION);
        }
        if (hello.features() != FEATURES_V1) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format("HELLO features 0x%04x; version 1 defines none", hello.features()));
        }
        stream.peerNode(hello.node());
        Session s = node.sessions().create(hello.node());
        stream.attachSession(s);
        sendControl(ControlCodec.encode(new ControlMessage.Welcome(ControlMessage.PROTOCOL_VERSION,
                FEATURES_V1, node.address(), s.id(), keepAliveTimeoutMillis())));
        stream.becomeActive();
    }

    void onWelcome(ControlMessage.Welcome welcome) throws ProtocolException {
        if (role != StreamRole.CONNECTOR || stream.state() != StreamState.SETUP || security != null) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "WELCOME is only the accepting side's answer to HELLO");
        }
        if (welcome.version() != ControlMessage.PROTOCOL_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "peer answered with protocol version " + welcome.version() + ", this node speaks " + ControlMessage.PROTOCOL_VERSION);
        }
        if (welcome.features() != FEATURES_V1) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format("WELCOME features 0x%04x; version 1 defines none", welcome.features()));
        }
        stream.peerNode(welcome.node());
        stream.attachSession(new Session(welcome.sessionId(), welcome.node(), node.clock().currentTimeMillis()));
        stream.liveness.adoptPeerTimeout(welcome.keepAliveTimeoutMillis());
        stream.becomeActive();
    }

    private int keepAliveTimeoutMillis() {
        return (int) node.config().keepAliveTimeout().toMillis();
    }

    // ---------------------------------------------------------------- secure handshake

    void onHandshakeMessage(int kind, ByteBuffer payload) throws ProtocolException {
        if (stream.state() != StreamState.SETUP) {
            throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, "handshake message after the handshake completed");
        }
        if (security == null) {
            throw new ProtocolException(ErrorCode.NO_COMMON_SUITE, role == StreamRole.ACCEPTOR
                    ? "this node has security disabled and speaks only the plaintext HELLO setup"
                    : "handshake message on a plaintext stream");
        }
        byte[] raw = new byte[payload.remaining()];
        payload.duplicate().get(raw);
        if (stepRunning) {
            // The peer must wait for our answer to its last message: whatever it sends now is out of order.
            throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, String.format(
                    "handshake message 0x%02x is out of order: the previous one is still being answered", kind));
        }
        try {
            if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_CLIENT_HELLO
                    && serverHandshake.state() == ServerHandshake.State.WAIT_CLIENT_HELLO) {
                ServerHandshake hs = serverHandshake;
                int keepAliveMillis = keepAliveTimeoutMillis();
                Sessions sessions = node.sessions();
                Session[] created = new Session[1]; // made on the worker (Sessions is thread-safe), attached on the loop
                step(() -> hs.onClientHello(raw, claimed -> {
                    created[0] = sessions.create(claimed);
                    return created[0].id();
                }, keepAliveMillis), hello -> {
                    stream.peerNode(hs.claimedNode());
                    stream.attachSession(created[0]);
                    sendControl(hello);
                }, unused -> {
                    if (created[0] != null) {
                        sessions.delete(created[0]);
                    }
                });
            } else if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_RESUME_HELLO && serverHandshake != null
                    && serverHandshake.state() == ServerHandshake.State.WAIT_CLIENT_HELLO) {
                onResumeHello(raw);
            } else if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_RESUME_FINISH && serverResumption != null
                    && serverResumption.state() == ServerResumption.State.WAIT_RESUME_FINISH) {
                onResumeFinish(raw);
            } else if (role == StreamRole.CONNECTOR && kind == HandshakeMessage.KIND_RESUME_ACCEPT && clientResumption != null
                    && clientResumption.state() == ClientResumption.State.WAIT_RESUME_ACCEPT) {
                onResumeAccept(raw);
            } else if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_CLIENT_FINISH
                    && serverHandshake != null && serverHandshake.state() == ServerHandshake.State.WAIT_CLIENT_FINISH) {
                ServerHandshake hs = serverHandshake;
                step(() -> hs.onClientFinish(raw), finish -> {
                    sendControl(finish.serverFinish());
                    secured(finish.result());
                    stream.session().authenticated(finish.result().peer());
                    stream.becomeActive();
                    if (stream.resumption.agreed()) {
                        stream.resumption.issueTicket();
                    }
                }, finish -> {
                    if (finish != null) {
                        finish.result().secrets().close();
                    }
                });
            } else if (role == StreamRole.CONNECTOR && kind == HandshakeMessage.KIND_SERVER_HELLO && clientHandshake != null
                    && clientHandshake.state() == ClientHandshake.State.WAIT_SERVER_HELLO) {
                ClientHandshake hs = clientHandshake;
                step(() -> hs.onServerHello(raw), this::sendControl, null);
            } else if (role == StreamRole.CONNECTOR && kind == HandshakeMessage.KIND_SERVER_FINISH && clientHandshake != null
                    && clientHandshake.state() == ClientHandshake.State.WAIT_SERVER_FINISH) {
                HandshakeResult result = clientHandshake.onServerFinish(raw);
                Session session = new Session(result.sessionId(), result.node(), node.clock().currentTimeMillis());
                session.authenticated(result.peer());
                stream.attachSession(session);
                secured(result);
                stream.liveness.adoptPeerTimeout(result.keepAliveTimeoutMillis());
                stream.becomeActive();
            } else {
                throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, String.format(
                        "handshake message 0x%02x is out of order for the %s side", kind, role.name().toLowerCase()));
            }
        } catch (HandshakeException e) {
            countFailure(e.code());
            throw new ProtocolException(e.code(), e.getMessage());
        }
    }

    /** A handshake failed with {@code code}: a resumption's under its outcome, a full handshake's under its own. */
    private void countFailure(ErrorCode code) {
        if (resumptionAttempt) {
            node.counters().resume(ResumeOutcome.of(code));
        } else {
            node.counters().handshake(HandshakeOutcome.of(code));
        }
    }

    // ---------------------------------------------------------------- resumption (PROTOCOL.md section 32)

    /**
     * Acceptor: a RESUME_HELLO instead of CLIENT_HELLO. The ticket is opened and the session
     * claimed on a worker. A ticket another member issued (PROTOCOL.md section 33) is claimed
     * at that member once RESUME_FINISH proves the connector holds its secret; until then the
     * session's id is held here.
     */
    private void onResumeHello(byte[] raw) throws ProtocolException, HandshakeException {
        Sessions sessions = node.sessions();
        SessionResumption settings = sessions.resumption();
        serverHandshake = null;
        resumptionAttempt = true;
        if (settings == null) {
            throw new HandshakeException(ErrorCode.SESSION_UNKNOWN, "this node does not resume sessions; start with CLIENT_HELLO");
        }
        NodeAddress self = node.address();
        ServerResumption r = serverResumption = new ServerResumption(security.handshake(), settings.sealer(), self,
                sessions::takesTicketsOf, node.clock().currentTimeMillis() / 1000);
        int keepAliveMillis = keepAliveTimeoutMillis();
        Session[] claimed = new Session[1]; // claimed on the worker (the ticket bookkeeping is thread-safe), used on the loop
        long[] claimedTicket = new long[1];
        NodeAddress[] elsewhere = new NodeAddress[1];
        boolean[] ownerLost = new boolean[1];
        int[] heldId = new int[1];
        boolean identityRequired = security.handshake().peerPolicy().requiresIdentity();
        step(() -> r.onResumeHello(raw, (sessionId, number) -> {
            NodeAddress owner = r.ticket().owner();
            Session s = sessions.find(sessionId);
            if (!owner.equals(self) && (s == null || !owner.equals(s.movedFrom()))) {
                SessionHandOver link = sessions.handOver();
                ownerLost[0] = link == null || !link.reaches(owner);
                if (ownerLost[0] && identityRequired) {
                    throw new HandshakeException(ErrorCode.TICKET_WRONG_NODE, "the session's member " + owner + " is gone, and this "
                            + "node requires a proven identity, which a ticket does not carry: start a new session");
                }
                sessions.reserve(sessionId);
                elsewhere[0] = owner;
                heldId[0] = sessionId;
                claimedTicket[0] = number;
                return;
            }
            if (s == null || !s.active()) {
                throw new HandshakeException(ErrorCode.SESSION_UNKNOWN, "session " + Integer.toUnsignedString(sessionId)
                        + " is not here: it expired (dap.stream.session.expiry) or never existed");
            }
            s.tickets().claim(number);
            claimed[0] = s;
            claimedTicket[0] = number;
        }, keepAliveMillis), accept -> {
            resuming = claimed[0];
            resumingTicket = claimedTicket[0];
            owner = elsewhere[0];
            lostOwner = ownerLost[0];
            heldSessionId = heldId[0];
            sendControl(accept);
        }, unused -> {
            if (claimed[0] != null) {
                claimed[0].tickets().release(claimedTicket[0]); // failed, or this connection went while the worker ran
            }
            if (elsewhere[0] != null) {
                sessions.unreserve(heldId[0]);
            }
        });
    }

    /**
     * Acceptor: RESUME_FINISH proves the connector holds the session's keys. The session is
     * taken over: from the stream that still carries it if the old connection is not yet known
     * to be gone (that stream ends first), else from its suspension. Nothing is read until the
     * channels are here.
     */
    private void onResumeFinish(byte[] raw) throws HandshakeException {
        if (owner != null) {
            onHandedOverFinish(raw);
            return;
        }
        Session session = resuming;
        HandshakeResult result;
        long used = resumingTicket;
        try {
            result = serverResumption.onResumeFinish(raw);
        } catch (HandshakeException e) {
            session.tickets().release(used);
            resuming = null;
            throw e;
        }
        resuming = null;
        session.tickets().consumed();
        secured(result);
        stream.keys.peerOfSession(session.peer());
        stream.peerNode(session.nodeAddress());
        stream.resumption.resumedWith(used);
        stream.reading.pause();
        session.takeOver(Stream::supersede).whenComplete((suspension, e) -> transport.execute(() -> carryOn(session, suspension,
                ResumeOutcome.RESUMED)));
    }

    /**
     * Acceptor: RESUME_FINISH of a ticket another member issued. That member hands the session
     * over (PROTOCOL.md section 33); nothing is read until it has, and a refusal ends this
     * stream with the owner's code.
     */
    private void onHandedOverFinish(byte[] raw) throws HandshakeException {
        NodeAddress from = owner;
        int sessionId = heldSessionId;
        long used = resumingTicket;
        Sessions sessions = node.sessions();
        HandshakeResult result;
        try {
            result = serverResumption.onResumeFinish(raw);
        } catch (HandshakeException e) {
            owner = null;
            sessions.unreserve(sessionId);
            throw e;
        }
        owner = null;
        secured(result);
        stream.resumption.resumedWith(used);
        stream.reading.pause();
        SessionHandOver link = sessions.handOver();
        if (lostOwner) {
            resumeWithGap(from, sessionId, used, link);
            return;
        }
        CompletableFuture<SessionState> fetched = link == null
                ? CompletableFuture.failedFuture(new HandOverRefusal(ErrorCode.HANDOVER_FAILED, "this node left its cluster"))
                : link.fetch(from, sessionId, used);
        fetched.whenComplete((state, e) -> transport.execute(() -> {
            if (e != null) {
                notTaken(sessionId, e, "member " + from + " did not hand session " + Integer.toUnsignedString(sessionId) + " over");
                return;
            }
            SessionTransfer.Arrival arrival = SessionTransfer.restore(state, from, stream, stream.acks.store(), node);
            sessions.arrived(arrival.session());
            arrival.opened();
            stream.keys.peerOfSession(arrival.session().peer());
            stream.peerNode(arrival.session().nodeAddress());
            carryOn(arrival.session(), arrival.suspension(), ResumeOutcome.HANDED_OVER);
        }));
    }

    /**
     * Acceptor: the ticket's owner is lost. Once the cluster grants this node the claim (so no
     * other member takes the session too), the session goes on here under its id with none of
     * its channels: SESSION_GAP tells the connector, whose channels then end with a gap notice.
     * Its peer's identity went with the owner: the session here has none.
     */
    private void resumeWithGap(NodeAddress from, int sessionId, long used, SessionHandOver link) {
        CompletableFuture<Void> granted = link == null
                ? CompletableFuture.failedFuture(new HandOverRefusal(ErrorCode.HANDOVER_FAILED, "this node left its cluster"))
                : link.claim(from, sessionId, used);
        granted.whenComplete((unused, e) -> transport.execute(() -> {
            if (e != null) {
                notTaken(sessionId, e, "session " + Integer.toUnsignedString(sessionId) + " of lost member " + from + " cannot resume here");
                return;
            }
            Session session = new Session(sessionId, NodeAddress.NONE, node.clock().currentTimeMillis());
            session.movedFrom(from);
            session.gapFrom(from); // told on every resumption until the connector's RESUMED shows it heard it
            session.tickets().continueFrom(used); // the connector takes only tickets numbered above the one it holds
            node.sessions().arrived(session);
            Suspension nothing = new Suspension(List.of(), stream.acks.store(), node.clock().currentTimeMillis());
            stream.peerNode(NodeAddress.NONE);
            carryOn(session, nothing, ResumeOutcome.GAP);
        }));
    }

    /**
     * On the loop: the session held for another member's ticket did not come here (its owner
     * refused or did not answer, or the claim was refused): the id is let go and the stream
     * ends with the refusal's code.
     */
    private void notTaken(int sessionId, Throwable e, String what) {
        node.sessions().unreserve(sessionId);
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        ErrorCode code = cause instanceof HandOverRefusal refusal ? refusal.code() : ErrorCode.HANDOVER_FAILED;
        if (code == ErrorCode.SESSION_MOVED) {
            code = ErrorCode.TICKET_REPLAYED; // it moved on with a newer ticket: this one is spent
        }
        countFailure(code);
        if (!stream.ended()) {
            stream.fail(new ProtocolException(code, what + ": " + cause.getMessage()));
        }
    }

    /** On the loop: the resumed session's channels come to this stream (or, if it went too, wait for the next). */
    private void carryOn(Session session, Suspension suspension, ResumeOutcome outcome) {
        if (stream.ended()) {
            if (suspension != null) {
                // This connection went too: the session waits again, for the next resumption or its expiry.
                node.sessions().suspended(session, suspension, transport, CloseReason.of(ErrorCode.SESSION_EXPIRED,
                        "not resumed within " + node.sessions().resumption().expiry().toSeconds() + " s of the connection's loss"), node.counters());
            }
            return;
        }
        stream.attachSession(session);
        Suspension.Taken taken = suspension == null ? null : suspension.take();
        stream.resumption.takeOver(suspension, taken == null ? new Suspension.Taken(List.of(), stream.acks.store()) : taken);
        session.resumed(node.clock().currentTimeMillis());
        node.counters().resume(outcome);
        stream.becomeActive();
        NodeAddress lost = session.gapFrom();
        if (lost != null) {
            stream.resumption.sendGap(lost); // first, or again: a connector cut before its RESUMED has not heard it yet
        }
        stream.resumption.issueTicket(); // before RESUMED: the connector's RESUMED then shows it has the new ticket
        stream.resumption.sendState();
        stream.reading.resume();
    }

    /** Connector: the acceptor accepted the resumption; RESUME_FINISH, then the session's channels run on this stream. */
    private void onResumeAccept(byte[] raw) throws ProtocolException {
        ClientResumption r = clientResumption;
        step(() -> r.onResumeAccept(raw), finished -> {
            sendControl(finished.resumeFinish());
            Session session = stream.resumption.resumingSession();
            secured(finished.result());
            stream.keys.peerOfSession(session.peer());
            stream.peerNode(session.nodeAddress());
            stream.attachSession(session);
            stream.liveness.adoptPeerTimeout(finished.result().keepAliveTimeoutMillis());
            Suspension suspension = session.suspension();
            session.expire(suspension); // the session is carried by this stream from now on
            Suspension.Taken taken = suspension == null ? null : suspension.take();
            stream.resumption.takeOver(suspension, taken == null ? new Suspension.Taken(List.of(), stream.acks.store()) : taken);
            session.resumed(node.clock().currentTimeMillis());
            node.counters().resume(ResumeOutcome.RESUMED);
            stream.becomeActive();
        }, finished -> {
            if (finished != null) {
                finished.result().secrets().close();
            }
        });
    }

    /**
     * Runs a handshake step's crypto ({@code work}) on the handshake workers and {@code then}
     * with its result back on this stream's loop, the only place stream state is touched.
     * {@code cleanup} gets what is not used when the step failed (null) or the stream ended
     * while it ran. Inline work on the loop (unit tests) does all of it now, as a plain call.
     *
     * @throws ProtocolException HANDSHAKE_BUSY when the workers refuse the job; inline, the step's own failure
     */
    private <T> void step(HandshakeStep.Work<T> work, HandshakeStep.Then<T> then, Consumer<T> cleanup) throws ProtocolException {
        HandshakeStep<T> step = new HandshakeStep<>(work);
        stepRunning = true;
        boolean[] inline = {false};
        boolean taken = (security.work() == null ? HandshakeWork.INLINE : security.work()).submit(() -> {
            if (!stream.ended()) {
                // A connection that went away while its step waited costs no signature: its
                // admission slot is free already, so its work must not outlive it in the queue.
                step.run();
            }
            if (transport.inLoop()) {
                inline[0] = true;
            } else {
                transport.execute(() -> {
                    try {
                        stepDone(step, then, cleanup);
                    } catch (ProtocolException e) {
                        stream.fail(e);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.ERROR, "internal error on " + stream, e);
                        stream.fail(new ProtocolException(ErrorCode.INTERNAL_ERROR, "internal error"));
                    }
                });
            }
        });
        if (!taken) {
            stepRunning = false;
            node.counters().handshake(HandshakeOutcome.REJECTED_BUSY);
            throw new ProtocolException(ErrorCode.HANDSHAKE_BUSY, "every handshake worker is busy and its queue is full");
        }
        if (inline[0]) {
            stepDone(step, then, cleanup);
        }
    }

    /** On the loop: a handshake step's result, applied unless the stream ended while it ran. */
    private <T> void stepDone(HandshakeStep<T> step, HandshakeStep.Then<T> then, Consumer<T> cleanup) throws ProtocolException {
        stepRunning = false;
        if (stream.ended()) {
            wipe(); // the stream's end left the handshake alone while the worker used it
            if (cleanup != null) {
                cleanup.accept(step.result());
            }
            return;
        }
        if (step.failure() != null || step.bug() != null) {
            if (cleanup != null) {
                cleanup.accept(null);
            }
            if (step.bug() != null) {
                throw step.bug();
            }
            countFailure(step.failure().code());
            throw new ProtocolException(step.failure().code(), step.failure().getMessage());
        }
        then.accept(step.result());
    }

    /** The handshake is done: its transcript and messages go, the keys take over. */
    private void secured(HandshakeResult result) {
        boolean resumed = resumptionAttempt;
        clientHandshake = null;
        serverHandshake = null;
        clientResumption = null;
        serverResumption = null;
        stream.keys.secured(result);
        if (Features.has(result.features(), Features.ACKS)) {
            stream.acks.agree(); // before becomeActive: the first channel is already kept
        }
        stream.resumption.agree(result.features());
        stream.peerNode(result.node());
        if (!resumed) {
            node.counters().handshake(HandshakeOutcome.SUCCESS);
        }
    }

    /** The setup deadline passed: SETUP_TIMEOUT, counted (as a handshake timeout too on a secure node). */
    void deadlinePassed() {
        if (stream.state() == StreamState.SETUP) {
            node.counters().setupTimeout();
            if (security != null) {
                node.counters().handshake(HandshakeOutcome.TIMEOUT);
            }
            stream.fail(new ProtocolException(ErrorCode.SETUP_TIMEOUT, "stream setup not completed within "
                    + node.config().setupTimeout().toMillis() + " ms"));
        }
    }

    /** Wipes a handshake in progress, unless a worker is using it (its step wipes it on return). */
    void wipe() {
        if (stepRunning) {
            return;
        }
        if (clientHandshake != null) {
            clientHandshake.fail();
        }
        if (serverHandshake != null) {
            serverHandshake.fail();
        }
        if (clientResumption != null) {
            clientResumption.fail();
        }
        Session claimed = resuming;
        resuming = null;
        if (claimed != null) {
            claimed.tickets().release(resumingTicket); // this connection never finished resuming
        }
        if (owner != null) {
            owner = null;
            node.sessions().unreserve(heldSessionId); // this connection went before it proved the ticket
        }
        if (serverResumption != null) {
            serverResumption.fail();
        }
    }

    private void sendControl(byte[] encoded) {
        stream.writer.sendStreamFrame(PacketType.CONTROL, encoded);
    }
}
