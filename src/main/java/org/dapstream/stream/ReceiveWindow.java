package org.dapstream.stream;

/**
 * What this side lets the peer send, on one channel or on the whole stream: the credit the
 * peer has left (below 0 is a violation), the consumed bytes not yet granted back, and the
 * window itself, which grows while the application consumes fast ({@link WindowGrowth}).
 * One grant rule for channels and the stream: a WINDOW_UPDATE goes once half the window was
 * consumed, so a fast reader's sender never runs dry. Event-loop confined.
 */
final class ReceiveWindow {
    /** Payload bytes the peer may still send; below 0 is a violation. */
    long credit;
    /** Consumed bytes not yet granted back; negative while held messages are unread. */
    long pending;
    /** The window now: the configured one, grown while the application consumes fast. */
    private long window;
    /** A grant is due once this much was consumed: half the window. */
    long threshold;
    /** Clock time of the last grant (or of the start): how fast the last half window went. */
    private long lastGrantNanos;

    ReceiveWindow(long initial) {
        this.credit = initial;
        this.window = initial;
        this.threshold = initial / 2;
    }

    /**
     * Sets the configured window at the start of the channel or stream.
     *
     * @return the credit to grant at once: what the configured window adds to the protocol's initial one
     */
    long start(long configured, long now) {
        long extra = configured - window;
        window = configured;
        threshold = configured / 2;
        lastGrantNanos = now;
        if (extra <= 0) {
            return 0;
        }
        credit += extra;
        return extra;
    }

    /** The peer used {@code bytes} of its credit: false when it had not that much. */
    boolean take(int bytes) {
        return (credit -= bytes) >= 0;
    }

    /** {@code bytes} were consumed: true when a grant is due. */
    boolean consumed(long bytes) {
        return (pending += bytes) >= threshold;
    }

    boolean grantDue() {
        return pending >= threshold;
    }

    /**
     * The grant that is due now: the consumed bytes, plus the growth of the window when
     * {@code mayGrow} (only consumption by the application may grow it) and it was consumed
     * fast. The credit is the peer's from here on.
     *
     * @return the WINDOW_UPDATE increment
     */
    long grant(long now, boolean mayGrow, long max) {
        long grant = pending;
        pending = 0;
        long grown = mayGrow ? WindowGrowth.grown(window, max, now - lastGrantNanos) : window;
        if (grown > window) {
            grant += grown - window;
            window = grown;
            threshold = grown / 2;
        }
        lastGrantNanos = now;
        credit += grant;
        return grant;
    }

    long window() {
        return window;
    }
}
