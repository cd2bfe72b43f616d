package org.dapstream.stream;

import org.dapstream.crypto.TicketSealer;

import java.time.Duration;
import java.util.Objects;

/**
 * How an acceptor resumes sessions (PROTOCOL.md section 32): the key its tickets are sealed
 * with, how long a session whose connection is gone waits to be resumed
 * ({@code dap.stream.session.expiry}), and how long a ticket is good for
 * ({@code dap.stream.session.ticket-lifetime}).
 */
public record SessionResumption(TicketSealer sealer, Duration expiry, Duration ticketLifetime) {
    /** 60 s: a connection that comes back within a minute (a network blip, a restarted client process) loses nothing. */
    public static final Duration DEFAULT_EXPIRY = Duration.ofSeconds(60);
    /** 24 h: a connection that lives longer gets a fresh ticket at half the lifetime. */
    public static final Duration DEFAULT_TICKET_LIFETIME = Duration.ofHours(24);

    public SessionResumption {
        Objects.requireNonNull(sealer, "sealer");
        if (expiry == null || expiry.isNegative() || expiry.isZero() || expiry.toSeconds() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("session expiry must be 1 s .. 2^32-1 s, got " + expiry);
        }
        if (ticketLifetime == null || ticketLifetime.compareTo(expiry) < 0) {
            throw new IllegalArgumentException("ticket lifetime " + ticketLifetime + " must be at least the session expiry " + expiry);
        }
    }
}
