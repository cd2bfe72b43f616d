package org.dapstream.bench;

/** What happens on a {@link Lane}; called on its event loop. */
interface LaneListener {
    /** A send that reported back-pressure may go on. */
    default void writable() {
    }

    /** An echo came back; {@code stamp} is the u64 in its first bytes. */
    default void echoed(long stamp) {
    }

    /** The receiver's counts of the messages that arrived before the report request. */
    default void report(long messages, long bytes) {
    }
}
