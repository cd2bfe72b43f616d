package org.dapstream.stream;

/** Time as a stream sees it; injected so keepalive and timeouts are tested without sleeping. */
public interface StreamClock {
    /** Monotonic time for intervals and round trips. */
    long nanoTime();

    /** Wall-clock time for create and activity stamps. */
    long currentTimeMillis();

    StreamClock SYSTEM = new StreamClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }
    };
}
