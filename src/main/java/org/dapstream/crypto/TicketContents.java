package org.dapstream.crypto;

import org.dapstream.protocol.NodeAddress;

/**
 * What a resumption ticket carries, readable only by the node that sealed it
 * ({@link TicketSealer}).
 *
 * @param sessionId        the session the ticket resumes
 * @param ticketNumber     the session's ticket number (u32, from 1): only the newest is valid, once
 * @param owner            the node that issued the ticket and keeps the session
 * @param expiresAtSeconds Unix time after which the ticket is refused (TICKET_EXPIRED)
 * @param resumptionSecret the session's resumption secret for {@code ticketNumber} (32 bytes);
 *                         held as given, treat as secret and read-only
 */
public record TicketContents(int sessionId, long ticketNumber, NodeAddress owner, long expiresAtSeconds,
                             byte[] resumptionSecret) {
}
