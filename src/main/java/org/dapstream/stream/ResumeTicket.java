package org.dapstream.stream;

import java.util.Arrays;

/**
 * What a connector keeps to resume its session (PROTOCOL.md section 32): the acceptor's
 * opaque ticket, its number, the secret derived for it from the session's key schedule, and
 * how long the acceptor keeps the session after a cut. The secret is never sent: a ticket
 * without it resumes nothing. Held by the session's owner only; {@link #wipe()} when done.
 *
 * @param lifetimeSeconds how long after losing its connection the session waits to be resumed
 */
public record ResumeTicket(byte[] ticket, long number, byte[] secret, long lifetimeSeconds, long receivedAtMillis) {
    /** Overwrites the secret. */
    public void wipe() {
        Arrays.fill(secret, (byte) 0);
    }

    @Override
    public String toString() {
        return "ticket " + number + " (" + ticket.length + " bytes, session kept " + lifetimeSeconds + " s after a cut)";
    }
}
