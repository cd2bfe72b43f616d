package org.dapstream.stream;

import org.dapstream.protocol.PacketType;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One channel's messages written on threads other than its stream's event loop, on their way to
 * that loop, in the order they were written. A resumption may move the channel to a stream on
 * another loop while they travel; a task per message, posted to the loop the writer saw, could
 * then run after a later message written straight to the new stream (or to the session's
 * suspension) and the peer would get them out of order. So one drain task at a time carries
 * them, on the loop of the stream that carries the channel when it runs (it follows the
 * channel), and a write that finds messages still travelling here goes behind them.
 * Thread-safe.
 */
final class Outbox {
    /**
     * One message on its way: the array is the stream's own (a copy, or one the writer gave).
     *
     * @param countedOn the gate whose off-loop byte count includes it (null: not counted)
     * @param countedIn the session store whose bound it counts toward until it is kept (null: not acknowledged)
     * @param sent      {@link Channel#send}'s future, or null for a write
     */
    record Letter(PacketType type, byte[] data, WriteGate countedOn, SessionStore countedIn, CompletableFuture<Void> sent) {
    }

    private final ConcurrentLinkedQueue<Letter> letters = new ConcurrentLinkedQueue<>();
    /** Letters posted and not yet placed: lowered only after they are placed, so busy() holds until then. */
    private final AtomicInteger travelling = new AtomicInteger();
    /** Writers waiting until every letter is placed ({@link #whenIdle()}). */
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> idleWaiters = new ConcurrentLinkedQueue<>();

    /** True while a letter is not placed yet: a later write on this channel, from any thread, goes behind it. */
    boolean busy() {
        return travelling.get() > 0;
    }

    /** @return true when the outbox was idle: the caller schedules the drain (else the running one takes this too) */
    boolean post(Letter letter) {
        letters.add(letter); // before the count: a drain that sees the count sees the letter
        return travelling.getAndIncrement() == 0;
    }

    /** The oldest letter not taken yet, or null. */
    Letter next() {
        return letters.poll();
    }

    /**
     * {@code count} letters taken by {@link #next()} were placed.
     *
     * @return true when more were posted meanwhile: the drain goes on
     */
    boolean placed(int count) {
        if (travelling.addAndGet(-count) > 0) {
            return true;
        }
        wakeIdleWaiters();
        return false;
    }

    /**
     * Completes once every letter posted so far is placed (at once when none travels). A writer
     * told to wait while its earlier messages travel waits for them, then asks again: until
     * they are placed, what it may write next cannot be known.
     */
    CompletableFuture<Void> whenIdle() {
        CompletableFuture<Void> idle = new CompletableFuture<>();
        idleWaiters.add(idle);
        if (!busy()) {
            wakeIdleWaiters(); // the drain finished before this waiter was added
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
