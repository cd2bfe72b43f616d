package org.dapstream.stream;

import org.dapstream.crypto.PeerIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.SessionState;

import java.util.ArrayList;
import java.util.List;

/**
 * A session between members (PROTOCOL.md section 33): the state the owner hands over, and the
 * session the next owner makes of it. The channels come back with their ids, types, counts
 * and kept messages, each served by this node's service for its type: what the old owner's
 * handler held in memory stays there.
 */
final class SessionTransfer {
    private static final System.Logger LOG = System.getLogger(SessionTransfer.class.getName());

    private SessionTransfer() {
    }

    /** The state of {@code session}, whose suspension gave {@code channels}. */
    static SessionState state(Session session, List<SessionState.ChannelState> channels) {
        PeerIdentity peer = session.peer();
        return new SessionState(session.id(), session.nodeAddress(), session.createTime(), session.tickets().lastIssued(),
                peer == null ? 0 : peer.algorithm().wireId(), peer == null ? null : peer.publicKey(),
                peer == null ? null : peer.endorsement(), channels);
    }

    /**
     * The session {@code state} describes, handed over by {@code from}, as a suspended session
     * of this node whose channels belong to {@code stream} (the one that resumes it), with the
     * store {@code store}. A channel of a type this node does not serve, or whose service
     * refuses the stream, is not carried: the peer hears it closed when it resumes.
     */
    static Arrival restore(SessionState state, NodeAddress from, Stream stream, SessionStore store, LocalNode node) {
        Session session = new Session(state.sessionId(), state.peerNode(), state.createdMillis());
        SignatureAlgorithm algorithm = state.peerAlgorithm() == 0 ? null : SignatureAlgorithm.fromWireId(state.peerAlgorithm());
        if (algorithm != null) {
            session.authenticated(new PeerIdentity(algorithm, state.peerKey(), state.peerEndorsement()));
        }
        session.movedFrom(from);
        session.tickets().continueFrom(state.ticketCounter());
        List<Channel> channels = new ArrayList<>(state.channels().size());
        for (SessionState.ChannelState cs : state.channels()) {
            ChannelHandler handler = node.services() == null ? null : node.services().handler(cs.type());
            CloseReason refused = handler instanceof ChannelService service ? service.refuseOpen(stream) : null;
            if (handler == null || refused != null) {
                LOG.log(System.Logger.Level.WARNING, "session " + Integer.toUnsignedString(state.sessionId()) + " from " + from
                        + ": channel " + cs.channelId() + " of type " + cs.type() + " is not carried ("
                        + (handler == null ? "no service for its type here" : refused.reason()) + ")");
                continue;
            }
            Channel ch = new Channel(stream, cs.channelId(), cs.type(), handler, Channel.State.SUSPENDED, false);
            ch.compression = cs.compression();
            ch.retained = new RetainedMessages();
            long bytes = ch.retained.restore(cs.acknowledged(), cs.messages());
            store.kept((int) Math.min(Integer.MAX_VALUE, bytes));
            ch.delivered = cs.delivered();
            ch.received = cs.delivered();
            channels.add(ch);
        }
        Suspension suspension = new Suspension(channels, store, node.clock().currentTimeMillis());
        return new Arrival(session, suspension, channels);
    }

    /** A session handed over to this node: waiting, its channels SUSPENDED, their handlers not yet told. */
    record Arrival(Session session, Suspension suspension, List<Channel> channels) {
        /** Each channel's service hears of it, as of a channel the peer opened. */
        void opened() {
            for (Channel ch : channels) {
                try {
                    ch.handler.opened(ch);
                } catch (RuntimeException e) {
                    CallbackFailure.log(LOG, "opened callback of " + ch + " threw", e);
                }
            }
        }
    }
}
