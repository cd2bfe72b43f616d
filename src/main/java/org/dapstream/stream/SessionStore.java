package org.dapstream.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bound on what a session keeps unacknowledged across all its channels
 * ({@code dap.stream.session.store-bytes}). Over it, writers are told to wait ({@code write}
 * returns false) until acknowledgements take it to half: back-pressure, never eviction. What
 * a writer that ignores the signal writes is still kept. Event-loop confined, but for what
 * travels from writers on other threads ({@link #travelling(long)}, any thread); {@link #bytes()}
 * may be read elsewhere as a monitoring value.
 */
final class SessionStore {
    /** 16 MiB: four times the default stream window, so the store waits on acknowledgements, not on credit. */
    static final int DEFAULT_LIMIT = 16 * 1024 * 1024;
    /** The least bound: one largest frame's payload and then some. */
    static final int MIN_LIMIT = 256 * 1024;
    /** Writers told to wait go on once the store is down to 1/RESUME_DIVISOR of its bound. */
    private static final int RESUME_DIVISOR = 2;

    private final long limit;
    private long bytes;
    /**
     * Bytes written on other threads for the session's acknowledged channels and still on their
     * way to the loop ({@link Outbox}): they count toward the bound before they are kept, so
     * writers on other threads are told to wait at the bound, not a write high-water mark past it.
     */
    private final AtomicLong travelling = new AtomicLong();
    /** The newest suspension of the session (its writers wait on it while the session is away); null before the first cut. */
    private volatile Suspension suspension;

    SessionStore(long limit) {
        this.limit = limit;
    }

    void kept(int size) {
        bytes += size;
    }

    void released(long size) {
        bytes -= size;
    }

    /** The session was cut: {@code s} keeps its channels (and its writers wait on it) until it resumes or ends. */
    void suspendedIn(Suspension s) {
        suspension = s;
    }

    /** The session's newest suspension (it may have resumed since), or null. */
    Suspension suspension() {
        return suspension;
    }

    /** {@code size} bytes set out for the loop (positive), or arrived and kept there (negative). */
    void travelling(long size) {
        travelling.addAndGet(size);
    }

    /** Over the bound (with what is on its way): a writer must wait. */
    boolean full() {
        return bytes + travelling.get() > limit;
    }

    /** Down to the resume mark: a waiting writer may go on. */
    boolean mayResume() {
        return bytes + travelling.get() <= limit / RESUME_DIVISOR;
    }

    long bytes() {
        return bytes;
    }

    long limit() {
        return limit;
    }
}
