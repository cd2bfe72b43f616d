package org.dapstream.stream;

/**
 * The bound on what a session keeps unacknowledged across all its channels
 * ({@code dap.stream.session.store-bytes}). Over it, writers are told to wait ({@code write}
 * returns false) until acknowledgements take it to half: back-pressure, never eviction. What
 * a writer that ignores the signal writes is still kept. Event-loop confined; {@link #bytes()}
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

    SessionStore(long limit) {
        this.limit = limit;
    }

    void kept(int size) {
        bytes += size;
    }

    void released(long size) {
        bytes -= size;
    }

    /** Over the bound: a writer must wait. */
    boolean full() {
        return bytes > limit;
    }

    /** Down to the resume mark: a waiting writer may go on. */
    boolean mayResume() {
        return bytes <= limit / RESUME_DIVISOR;
    }

    long bytes() {
        return bytes;
    }

    long limit() {
        return limit;
    }
}
