package org.dapstream.stream;

import org.dapstream.crypto.TicketContents;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream's part in session resumption (PROTOCOL.md section 32). On a stream that agreed
 * RESUMPTION: the acceptor issues TICKETs and the connector keeps the newest; a connection
 * lost without CLOSE suspends the session's channels instead of ending them. On a resumed
 * stream: the channels taken over from the suspension, the RESUMED each side sends (what it
 * has received on each channel), and, once the peer's arrives, the messages the peer lacks
 * queued again ahead of anything written since. Event-loop confined.
 */
final class Resumption {
    private static final System.Logger LOG = System.getLogger(Resumption.class.getName());

    private final Stream stream;
    private final StreamRole role;
    private final LocalNode node;
    private boolean agreed;
    /** Connector: the newest ticket the acceptor gave (null before the first). */
    private volatile ResumeTicket ticket;
    /** Connector: the ticket and session this stream resumes (null: a new session). */
    private ResumeTicket resumingWith;
    private Session resumingSession;
    /** The suspension this stream took the channels from. */
    private Suspension resumingFrom;
    /** Acceptor: the number of the ticket this stream resumed with (0: a full handshake). */
    private long resumedWithTicket;
    /** The channels this stream took over, SUSPENDED until the peer's RESUMED; null on a stream that did not resume. */
    private List<Channel> carried;
    private boolean sentState;
    private boolean peerStateApplied;
    /** Connector: the member the acceptor said was lost with the session's channels (SESSION_GAP), or null. */
    private NodeAddress lostOwner;

    Resumption(Stream stream, StreamRole role, LocalNode node) {
        this.stream = stream;
        this.role = role;
        this.node = node;
    }

    // ---------------------------------------------------------------- set-up

    /** Connector, before start: resume {@code from} with {@code with} instead of starting a new session. */
    void resumeWith(ResumeTicket with, Session session) {
        resumingWith = with;
        resumingSession = session;
        ticket = with; // still good once more, until the acceptor's new TICKET arrives (PROTOCOL.md section 32.4)
    }

    ResumeTicket resumingWith() {
        return resumingWith;
    }

    Session resumingSession() {
        return resumingSession;
    }

    /** The handshake agreed the features: resumption is on when it agreed RESUMPTION (which comes with ACKS). */
    void agree(int features) {
        agreed = Features.has(features, Features.RESUMPTION | Features.ACKS);
    }

    boolean agreed() {
        return agreed;
    }

    /** Connector: the newest ticket, to resume this stream's session after a cut (null before the first). */
    ResumeTicket ticket() {
        return ticket;
    }

    /** True when an end for {@code reason} suspends the session instead of ending it: the connection was lost, nobody closed it. */
    boolean suspends(CloseReason reason) {
        if (!agreed || stream.session() == null) {
            return false;
        }
        if (role == StreamRole.CONNECTOR && ticket == null) {
            return false; // without a ticket this side cannot resume: nothing to wait for
        }
        if (role == StreamRole.CONNECTOR && carried != null && !peerStateApplied && reason.errorCode() == ErrorCode.HANDOVER_FAILED) {
            return true; // the member could not get the session from its owner (PROTOCOL.md section 33): nothing moved, try again
        }
        return reason.errorCode() == ErrorCode.CONNECTION_LOST || reason.errorCode() == ErrorCode.KEEPALIVE_TIMEOUT
                || reason.errorCode() == ErrorCode.TRUNCATED_FRAME;
    }

    // ---------------------------------------------------------------- tickets

    /** Acceptor, once active: the session's next ticket (resumedWith: the ticket this stream used, 0 after a full handshake). */
    void issueTicket() {
        Sessions sessions = node.sessions();
        SessionResumption settings = sessions.resumption();
        Session session = stream.session();
        long number = session.tickets().issue(resumedWithTicket);
        byte[] secret = stream.keys.resumptionSecret(number);
        try {
            long expires = node.clock().currentTimeMillis() / 1000 + settings.ticketLifetime().toSeconds();
            byte[] sealed = settings.sealer().seal(new TicketContents(session.id(), number, node.address(), expires, secret));
            stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(
                    new ControlMessage.Ticket(number, settings.expiry().toSeconds(), sealed)));
            node.counters().ticketIssued();
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** Connector: the acceptor's TICKET; the newest replaces the one before. */
    void onTicket(ControlMessage.Ticket t) throws ProtocolException {
        if (role != StreamRole.CONNECTOR || !agreed) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, role != StreamRole.CONNECTOR
                    ? "TICKET comes only from the accepting side" : "TICKET on a stream that did not agree RESUMPTION");
        }
        ResumeTicket old = ticket;
        if (old != null && t.ticketNumber() <= old.number()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, "TICKET " + t.ticketNumber() + " after ticket " + old.number());
        }
        ticket = new ResumeTicket(t.ticket().clone(), t.ticketNumber(), stream.keys.resumptionSecret(t.ticketNumber()),
                t.lifetimeSeconds(), node.clock().currentTimeMillis());
        if (old != null) {
            old.wipe(); // the newest replaces it: the acceptor takes the old one no more once our RESUMED arrives
        }
    }

    /** Acceptor: this stream resumed with ticket {@code number}. */
    void resumedWith(long number) {
        resumedWithTicket = number;
    }

    // ---------------------------------------------------------------- the channels

    /** A resumed stream takes the suspension's channels (SUSPENDED until the peer's RESUMED) and the session's store. */
    void takeOver(Suspension from, Suspension.Taken taken) {
        resumingFrom = from;
        stream.acks.useStore(taken.store());
        carried = new ArrayList<>(taken.channels());
        stream.channels.adopt(carried);
    }

    /** Resumed, once active: this side's RESUMED. The connector sends it when the acceptor's arrives, before its own resends. */
    void sendState() {
        if (sentState) {
            return;
        }
        sentState = true;
        List<ControlMessage.ChannelReceived> state = new ArrayList<>(carried.size());
        for (Channel ch : carried) {
            if (lostOwner == null) {
                ch.dropHeld(); // received counts what was delivered; the peer sends the rest again
            } // after a lost owner the channels end with a gap notice: what they hold stays readable
            state.add(new ControlMessage.ChannelReceived(ch.id(), ch.received));
        }
        stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.Resumed(state)));
    }

    boolean resumed() {
        return carried != null;
    }

    /**
     * The peer's RESUMED: each channel both carry goes on, the messages the peer lacks queued
     * first; a channel only this side carries ends (the peer no longer has it).
     */
    void onResumed(ControlMessage.Resumed resumed) throws ProtocolException {
        if (carried == null || peerStateApplied) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, carried == null
                    ? "RESUMED on a stream that did not resume a session" : "a second RESUMED on the stream");
        }
        peerStateApplied = true;
        Map<Integer, Long> peerHas = new HashMap<>();
        for (ControlMessage.ChannelReceived c : resumed.channels()) {
            if (peerHas.put(c.channelId(), c.received()) != null) {
                throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "RESUMED names channel " + c.channelId() + " twice");
            }
        }
        // Check every count before anything changes, so a bad RESUMED ends the stream with the channels untouched.
        for (Channel ch : carried) {
            Long has = peerHas.get(ch.id());
            if (has == null) {
                continue;
            }
            RetainedMessages kept = ch.retained;
            if (Long.compareUnsigned(has, kept.acknowledged()) < 0 || Long.compareUnsigned(has, kept.written()) > 0) {
                throw new ProtocolException(ErrorCode.BAD_ACK, "RESUMED says " + Long.toUnsignedString(has) + " messages of channel "
                        + ch.id() + " arrived; " + kept.acknowledged() + " were acknowledged and " + kept.written() + " written");
            }
        }
        if (role == StreamRole.CONNECTOR) {
            sendState(); // after the acceptor's RESUMED (and the TICKET before it), ahead of our resends
        } else {
            stream.session().tickets().confirmed(); // the connector had the new ticket when it sent this
            stream.session().gapFrom(null); // ... and the SESSION_GAP sent before it
        }
        SessionStore store = stream.acks.store();
        for (Channel ch : carried) {
            Long has = peerHas.get(ch.id());
            Suspension s = ch.suspension;
            if (has == null && lostOwner != null) {
                ChannelGap gap = new ChannelGap(ch, lostOwner, ch.received, ch.retained.acknowledged(), ch.retained.written());
                stream.gap(gap);
                stream.channels.endCarried(ch, CloseReason.of(ErrorCode.SESSION_LOST, gap.toString()));
                continue;
            }
            if (has == null) {
                stream.channels.endCarried(ch, CloseReason.of(ErrorCode.CHANNEL_CLOSED, "the peer did not carry channel "
                        + ch.id() + " over the resumption"));
                continue;
            }
            Runnable requeue = () -> {
                store.released(ch.retained.acknowledge(has));
                // A copy, all queued before any is sent: sending may wake the channel's writer, whose new messages go behind these.
                stream.scheduler.requeue(ch, new ArrayList<>(ch.retained.kept()));
            };
            if (s != null) {
                s.running(ch, requeue);
            } else {
                ch.state = Channel.State.OPEN;
                requeue.run();
            }
            ch.queue.writeBlocked = true; // readyToWrite once the stream takes more: a writer told to wait at the cut goes on
            ch.deliverHeld(); // what arrived before the cut and waited while the session was away
        }
        if (resumingFrom != null) {
            resumingFrom.allRunning();
        }
        stream.gate.notifyWritable();
        LOG.log(System.Logger.Level.DEBUG, () -> stream + " resumed " + carried.size() + " channels");
    }

    /** Connector: SESSION_GAP, before the acceptor's RESUMED: the channels this side carries end with a gap notice there. */
    void onSessionGap(ControlMessage.SessionGap gap) throws ProtocolException {
        if (role != StreamRole.CONNECTOR || carried == null || peerStateApplied || lostOwner != null) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION,
                    "SESSION_GAP comes only from the accepting side of a resumption, once, before its RESUMED");
        }
        lostOwner = gap.lostOwner();
    }

    /** Acceptor: the session's owner was lost; SESSION_GAP goes ahead of the TICKET and RESUMED. */
    void sendGap(NodeAddress owner) {
        stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.SessionGap(owner)));
    }

    /** The stream ended: a connector's tickets are wiped unless they go on to a suspension that may still use them. */
    void ended(boolean suspended) {
        ResumeTicket t = ticket;
        if (!suspended && t != null && t != resumingWith) {
            t.wipe(); // the ticket this stream resumed with belongs to the session: a failed attempt leaves it for the next
        }
        if (!suspended && resumingFrom != null) {
            resumingFrom.allRunning(); // its channels ended with this stream: writers still waiting on it are handed on (and told)
        }
    }
}
