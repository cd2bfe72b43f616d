package org.dapstream.stream;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What one stream may owe a peer that does not read: the bytes committed to its connection and
 * not yet taken by the network (the transport's batch and socket queue, {@link StreamTransport#queuedBytes()}).
 * Everything the stream sends goes there (control replies, pongs, OPEN_REJECTs, service
 * replies, data), and most of it is made by the peer's own input: so when the queue passes the
 * budget, the stream stops reading the connection. That is the peer's own back-pressure: its
 * sends stop in TCP until it reads what it asked for. Once the queue drains to half the budget
 * the stream reads again; a peer that lets it stay over the budget for the stall timeout has
 * its stream ended with {@code OUTPUT_STALLED}.
 *
 * <p>A built-in service whose replies back up pauses its channel, and the peer's next messages
 * are held unread; flow control stops a peer at the window, but empty messages take no credit.
 * So the held messages count too: more than {@link #MAX_HELD_MESSAGES} on the stream also stop
 * reading, until the application takes them down to half. Held because the application is slow
 * (the connection drains), they never end the stream; held behind output the peer does not
 * read or grants no credit for (a service that paused its channel), they end it at the stall
 * timeout like the output itself.
 *
 * <p>Application writers are held back earlier, at the transport's high-water mark ({@code write}
 * returns false); the budget bounds a writer that ignores that too. Channel send queues waiting
 * for the peer's credit are not counted: they wait for a WINDOW_UPDATE, which only reading brings.
 * Event loop only.
 */
final class OutputBudget {
    /** Messages held unread on one stream (paused or pull-mode channels) before it stops reading: 65,536, about 4 MiB of bookkeeping. */
    static final int MAX_HELD_MESSAGES = 65_536;
    /** Held messages between two counts of them (a count visits every channel). */
    static final int HELD_CHECK_EVERY = 1024;

    private final StreamTransport transport;
    private final long limit;
    private final long lowWater;
    private final long stallMillis;
    private final Runnable stopReading;
    private final Runnable readAgain;
    private final Runnable stalled;
    private final LongSupplier heldMessages;
    private final BooleanSupplier peerHoldsUp;
    private StreamTransport.Cancellable stallTimer;
    private boolean over;
    private int heldSinceCheck;

    /**
     * @param heldMessages messages held unread on the stream's channels
     * @param peerHoldsUp  true when what we send waits on the peer: the connection is full, or a
     *                     channel holding messages has a writer waiting for the socket or the peer's credit
     */
    OutputBudget(StreamTransport transport, StreamConfig config, LongSupplier heldMessages,
                 BooleanSupplier peerHoldsUp, Runnable stopReading, Runnable readAgain, Runnable stalled) {
        this.heldMessages = heldMessages;
        this.peerHoldsUp = peerHoldsUp;
        this.transport = transport;
        this.limit = config.outputBudget();
        this.lowWater = config.outputBudget() / 2;
        this.stallMillis = config.outputStallTimeout().toMillis();
        this.stopReading = stopReading;
        this.readAgain = readAgain;
        this.stalled = stalled;
    }

    /**
     * After input was handled, or a writer found the connection full: over the budget, stop
     * reading and start the stall clock. The queue is over the budget only when it is over the
     * transport's high-water mark, so the usual answer costs one flag test.
     */
    void check() {
        if (!over && transport.writeQueueFull() && transport.queuedBytes() > limit) {
            stop();
        }
    }

    /**
     * A channel holds one more message. Every {@link #HELD_CHECK_EVERY} of them, on any channels,
     * the stream's held messages are counted, and past the limit the stream stops reading.
     */
    void held() {
        if (++heldSinceCheck >= HELD_CHECK_EVERY) {
            heldSinceCheck = 0;
            if (!over && heldMessages.getAsLong() > MAX_HELD_MESSAGES) {
                stop();
            }
        }
    }

    private void stop() {
        over = true;
        stopReading.run();
        stallTimer = transport.after(stallMillis, this::expired);
    }

    /** The connection drained (or a tick looks): at half the budget or less, read again. */
    void drained() {
        if (over && transport.queuedBytes() <= lowWater && heldMessages.getAsLong() <= MAX_HELD_MESSAGES / 2) {
            over = false;
            cancelTimer();
            readAgain.run();
        }
    }

    /** True while the stream does not read because of its output: silence then is not the peer's. */
    boolean readingStopped() {
        return over;
    }

    /** Why the stream stopped reading, for the OUTPUT_STALLED reason. */
    String describe() {
        return transport.queuedBytes() + " bytes queued for it (budget " + limit + "), " + heldMessages.getAsLong()
                + " of its messages held unread (limit " + MAX_HELD_MESSAGES + "), for " + stallMillis + " ms";
    }

    /** The stream ended: no more stall timer. */
    void ended() {
        cancelTimer();
    }

    private void expired() {
        stallTimer = null;
        if (!over) {
            return;
        }
        if (peerHoldsUp.getAsBoolean()) {
            stalled.run(); // the output is not moving: the peer does not read, or grants no credit
        } else {
            stallTimer = transport.after(stallMillis, this::expired); // only the application is slow: wait on
        }
    }

    private void cancelTimer() {
        if (stallTimer != null) {
            stallTimer.cancel();
            stallTimer = null;
        }
    }
}
