package org.dapstream.stream;

import org.dapstream.protocol.PacketType;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One channel's messages written on threads other than its stream's event loop, on their way to
 * that loop, in the order they were written. A resumption may move the channel to a stream on
 * another loop while they travel; a task per message, posted to the loop the writer saw, could
 * then run after a later message written straight to the new stream (or to the session's
 * suspension) and the peer would get them out of order. So one drain task at a time carries
 * them, on the loop of the stream that carries the channel when it runs (it follows the
 * channel), and a write that finds messages still travelling here goes behind them.
 * Thread-safe; {@link #next()}, {@link #putBack} and {@link #stopDraining()} belong to the one
 * drain running.
 */
final class Outbox {
    /**
     * One message on its way: the array is the stream's own (a copy, or one the writer gave).
     * A letter of no type is the channel's {@link Channel#close()}, which goes behind what was
     * written before it.
     *
     * @param countedOn the gate whose off-loop byte count includes it (null: not counted)
     * @param countedIn the session store whose bound it counts toward until it is kept (null: not acknowledged)
     * @param sent      {@link Channel#send}'s future, or null for a write
     */
    record Letter(PacketType type, byte[] data, WriteGate countedOn, SessionStore countedIn, CompletableFuture<Void> sent) {
        static Letter close() {
            return new Letter(null, new byte[0], null, null, null);
        }

        boolean isClose() {
            return type == null;
        }
    }

    private final ConcurrentLinkedQueue<Letter> letters = new ConcurrentLinkedQueue<>();
    /**
     * Letters counted and not yet placed. A writer counts its letter before it adds it, and the
     * drain lowers the count only once a letter is placed: while it is above 0, a later write
     * goes behind the letters, even one whose writer has not finished adding it.
     */
    private final AtomicInteger travelling = new AtomicInteger();
    /** A drain task is posted or running: at most one at a time, whatever the writers and loops do. */
    private final AtomicBoolean draining = new AtomicBoolean();
    /** A letter the drain took and could not place on its loop (the channel moved): the next drain places it first. */
    private Letter heldBack;
    /** Writers waiting until every letter is placed ({@link #whenIdle()}). */
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> idleWaiters = new ConcurrentLinkedQueue<>();

    /** True while a letter is not placed yet: a later write on this channel, from any thread, goes behind it. */
    boolean busy() {
        return travelling.get() > 0;
    }

    /** @return true when no drain was posted or running: the caller posts one (else the running one takes this too) */
    boolean post(Letter letter) {
        counted();
        return added(letter);
    }

    /** The first half of {@link #post}: from here on, busy() holds until the letter is placed. */
    void counted() {
        travelling.incrementAndGet();
    }

    /** The second half of {@link #post}. @return true when the caller must post the drain */
    boolean added(Letter letter) {
        letters.add(letter);
        // Read before the compare-and-set, which would take the flag's cache line from the draining loop on every
        // message: the drain clears the flag before it looks at the queue again, so one of the two sees the other.
        return !draining.get() && draining.compareAndSet(false, true);
    }

    /** The drain's next letter, oldest first, or null. */
    Letter next() {
        Letter l = heldBack;
        if (l != null) {
            heldBack = null;
            return l;
        }
        return letters.poll();
    }

    /** {@code letter}, just taken, goes back to the head: the drain that follows the channel places it. */
    void putBack(Letter letter) {
        heldBack = letter;
    }

    /**
     * The drain found no letter. @return true when it stops: nothing was added meanwhile, or a
     * writer that added one posted a new drain; false when it goes on with what was added
     */
    boolean stopDraining() {
        draining.set(false);
        return letters.isEmpty() || !draining.compareAndSet(false, true);
    }

    /** {@code count} letters taken by {@link #next()} were placed (kept, queued, sent, or reported lost). */
    void placed(int count) {
        if (count > 0 && travelling.addAndGet(-count) == 0) {
            wakeIdleWaiters();
        }
    }

    /**
     * The bytes placed letters counted on their gates' off-loop counts and their session stores,
     * summed on the loop and taken off in one update per counter (the letters of a drain almost
     * always share both).
     */
    static final class Counts {
        private WriteGate gate;
        private long gateBytes;
        private SessionStore store;
        private long storeBytes;

        void add(Letter letter) {
            int len = letter.data().length;
            if (letter.countedOn() != null) {
                if (letter.countedOn() != gate) {
                    settleGate();
                    gate = letter.countedOn();
                }
                gateBytes += len;
            }
            if (letter.countedIn() != null) {
                if (letter.countedIn() != store) {
                    settleStore();
                    store = letter.countedIn();
                }
                storeBytes += len;
            }
        }

        void settle() {
            settleGate();
            settleStore();
        }

        private void settleGate() {
            if (gateBytes > 0) {
                gate.arrived(gateBytes);
                gateBytes = 0;
            }
        }

        private void settleStore() {
            if (storeBytes > 0) {
                store.travelling(-storeBytes);
                storeBytes = 0;
            }
        }
    }

    /**
     * Completes once every letter counted so far is placed (at once when none travels). A writer
     * told to wait while its earlier messages travel waits for them, then asks again: until
     * they are placed, what it may write next cannot be known.
     */
    CompletableFuture<Void> whenIdle() {
        CompletableFuture<Void> idle = new CompletableFuture<>();
        idleWaiters.add(idle);
        if (!busy()) {
            wakeIdleWaiters(); // the last letter was placed before this waiter was added
        }
        return idle;
    }

    private void wakeIdleWaiters() {
        CompletableFuture<Void> f;
        while ((f = idleWaiters.poll()) != null) {
            f.complete(null);
        }
    }
}
