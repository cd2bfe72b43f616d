package org.dapstream.stream;

import org.dapstream.crypto.HandshakeException;
import org.dapstream.protocol.ErrorCode;

/**
 * Which of a session's tickets may resume it (PROTOCOL.md section 32), on the acceptor: the
 * newest one issued and, until the connector shows it received that one, the ticket the
 * current stream resumed with (a connection cut before the new TICKET arrived must not cost
 * the session). Each is good for one resumption at a time, and a resumption that completes
 * consumes what it used. Thread-safe: checked on the handshake workers, changed on loops.
 */
final class SessionTickets {
    private long counter;
    /** The newest ticket issued; 0 when none is valid. */
    private long current;
    /** The ticket the current stream resumed with, valid until the connector confirms {@link #current}; 0 when none. */
    private long fallback;
    /** A resumption has claimed a ticket and has not completed or failed yet. */
    private long claimed;

    /** The number of the last ticket issued (0: none): a member the session moves to counts on from it. */
    synchronized long lastIssued() {
        return counter;
    }

    /** The session moved here from another member, which issued tickets up to {@code lastIssued}. */
    synchronized void continueFrom(long lastIssued) {
        counter = Math.max(counter, lastIssued);
    }

    /** The number of the next TICKET: the newest; {@code resumedWith} (0 after a full handshake) stays valid until confirmed. */
    synchronized long issue(long resumedWith) {
        current = ++counter;
        fallback = resumedWith;
        return current;
    }

    /** A resumption with ticket {@code number} passed every other check: it holds the ticket until it completes or fails. */
    synchronized void claim(long number) throws HandshakeException {
        if (claimed != 0) {
            throw new HandshakeException(ErrorCode.TICKET_REPLAYED, "ticket " + number + ": another resumption of the session is in progress");
        }
        if (number == 0 || (number != current && number != fallback)) {
            throw new HandshakeException(ErrorCode.TICKET_REPLAYED, "ticket " + number + " was used already or replaced (newest "
                    + current + ")");
        }
        claimed = number;
    }

    /** The resumption that claimed a ticket failed before completing: the ticket may be used again. */
    synchronized void release(long number) {
        if (claimed == number) {
            claimed = 0;
        }
    }

    /** The resumption completed: no ticket of the session is valid until the new stream issues one. */
    synchronized void consumed() {
        claimed = 0;
        current = 0;
        fallback = 0;
    }

    /** The connector shows it has the newest ticket (its RESUMED came after it): the one before is spent. */
    synchronized void confirmed() {
        fallback = 0;
    }
}
