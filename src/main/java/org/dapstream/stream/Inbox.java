package org.dapstream.stream;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One channel's received messages that wait for the application: held while the channel
 * is in pull mode (read by {@link Channel#read()} on any thread) or paused, and the reads
 * not yet credited back to the peer. Held bytes are not credited, so a reader that does
 * not read stops its peer at the window.
 */
final class Inbox {
    final ConcurrentLinkedQueue<Packet> packets = new ConcurrentLinkedQueue<>();
    final AtomicLong bytes = new AtomicLong();
    final AtomicInteger count = new AtomicInteger();
    /** Pull-mode bytes read and not yet credited to the peer (reads happen on any thread). */
    final AtomicLong readUncredited = new AtomicLong();
    /** A task that credits {@link #readUncredited} is on its way to the loop. */
    final AtomicBoolean creditTaskPosted = new AtomicBoolean();
    volatile boolean pullMode;
    /** pause(): push-mode packets are held instead of delivered. Loop only (plain: read per frame). */
    boolean paused;

    /** Whether messages wait here instead of going to the handler: pull mode, or paused. */
    boolean holds() {
        return pullMode || paused;
    }

    /**
     * Whether a message that arrives now waits here: as {@link #holds()}, and also while earlier
     * messages still wait (pull mode just turned off, not yet delivered): messages go to the
     * application in the order they arrived, so what waits here is always the newest.
     */
    boolean holdsArrivals() {
        return pullMode || paused || count.get() > 0;
    }

    /** Holds a message; true when the inbox was empty (readyToRead is due then). */
    boolean hold(Packet p) {
        packets.add(p);
        // Counted after the add, so a reader draining on another thread never sees a
        // count of 0 with a packet it has not taken: readyToRead fires on 0 -> 1 only.
        boolean wasEmpty = count.getAndIncrement() == 0;
        bytes.addAndGet(p.data().length);
        return wasEmpty;
    }

    /** The next held message, or null; {@code left} is read from {@link #count} after it. */
    Packet take() {
        Packet p = packets.poll();
        if (p != null) {
            count.decrementAndGet();
            bytes.addAndGet(-p.data().length);
        }
        return p;
    }
}
