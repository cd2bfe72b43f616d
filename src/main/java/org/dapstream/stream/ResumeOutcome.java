package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;

import java.util.Locale;

/** How an attempt to resume a session ended, for the {@code dap_stream_resumes_total{outcome}} meter. */
public enum ResumeOutcome {
    /** The session goes on over the new connection. */
    RESUMED,
    /** The ticket did not open (forged, damaged, or sealed with a key this node does not have). */
    TICKET_INVALID,
    /** The sender does not hold the ticket's secret (a stolen ticket). */
    TICKET_BINDER_MISMATCH,
    TICKET_EXPIRED,
    /** Issued by another node. */
    TICKET_WRONG_NODE,
    /** The session expired and was freed, or never existed here. */
    SESSION_UNKNOWN,
    /** The ticket was used already, or another resumption of the session is in progress. */
    TICKET_REPLAYED,
    /** The session came from another member of the cluster and goes on here (PROTOCOL.md section 33). */
    HANDED_OVER,
    /**
     * The session's owner was lost (no member has a link to it): the session goes on here, and
     * its channels end with a gap notice (PROTOCOL.md section 33.7).
     */
    GAP,
    /** The member that owns the session did not hand it over (link down, no answer in time). */
    HANDOVER_FAILED,
    /** Anything else: malformed, a bad MAC, no common suite, the connection lost mid-way. */
    FAILED;

    static ResumeOutcome of(ErrorCode code) {
        return switch (code) {
            case TICKET_INVALID -> TICKET_INVALID;
            case TICKET_BINDER_MISMATCH -> TICKET_BINDER_MISMATCH;
            case TICKET_EXPIRED -> TICKET_EXPIRED;
            case TICKET_WRONG_NODE -> TICKET_WRONG_NODE;
            case SESSION_UNKNOWN -> SESSION_UNKNOWN;
            case TICKET_REPLAYED -> TICKET_REPLAYED;
            case HANDOVER_FAILED -> HANDOVER_FAILED;
            default -> FAILED;
        };
    }

    /** The meter's tag value. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
