package org.dapstream.client;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;
import org.dapstream.stream.StreamListener;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * For tests in other packages: presents a copy of a session's ticket to a node, as an
 * attacker who captured both the ticket and its secret would, and says how the node refused.
 */
public final class TicketReplay {
    private TicketReplay() {
    }

    /** A copy that outlives the original's wiping. */
    public static ResumeTicket copy(ResumeTicket t) {
        return new ResumeTicket(t.ticket().clone(), t.number(), t.secret().clone(), t.lifetimeSeconds(), t.receivedAtMillis());
    }

    /**
     * Resumes a stranger session with {@code ticket} at {@code host:port}: the code the node
     * ended the attempt with (a ticket of another member is refused after RESUME_FINISH, so
     * the stream may come up first), or null when it was accepted and stayed up for {@code wait}.
     */
    public static ErrorCode refusal(StreamClient client, String host, int port, ResumeTicket ticket, Duration wait) throws Exception {
        Session stranger = new Session(1, NodeAddress.NONE, System.currentTimeMillis());
        try {
            Stream s = client.connect(host, port, null, StreamListener.NONE, ticket, stranger).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            try {
                return s.closed().get(wait.toMillis(), TimeUnit.MILLISECONDS).errorCode();
            } catch (TimeoutException e) {
                s.close();
                return null;
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StreamException se) {
                return se.reason().errorCode();
            }
            throw e;
        }
    }
}
