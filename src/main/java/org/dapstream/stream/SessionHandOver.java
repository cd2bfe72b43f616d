package org.dapstream.stream;

import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.SessionState;

import java.util.concurrent.CompletableFuture;

/**
 * How a node reaches the other members of its cluster to take over their sessions
 * (PROTOCOL.md section 33): a client may resume at any member, and the member it reaches asks
 * the session's owner for it. The cluster implements it; a node alone has none.
 */
public interface SessionHandOver {
    /** True when {@code node} is a member this node can ask now: its tickets are taken here. */
    boolean reaches(NodeAddress node);

    /**
     * Asks {@code owner} to hand over session {@code sessionId}, whose ticket {@code ticket} a
     * client presented here with its secret.
     *
     * @return the session's state; or fails with a {@link HandOverRefusal} that says why
     */
    CompletableFuture<SessionState> fetch(NodeAddress owner, int sessionId, long ticket);

    /**
     * Claims session {@code sessionId} of {@code owner}, a node this one cannot reach (it
     * crashed), for a resumption here with ticket {@code ticket}: granted once in the cluster,
     * by the member that decides claims on that session; a later claim fails with
     * TICKET_REPLAYED.
     *
     * @return completes when granted; or fails with a {@link HandOverRefusal}
     */
    CompletableFuture<Void> claim(NodeAddress owner, int sessionId, long ticket);
}
