package org.dapstream.stream;

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
 * <p>Application writers are held back earlier, at the transport's high-water mark ({@code write}
 * returns false); the budget bounds a writer that ignores that too. Channel send queues waiting
 * for the peer's credit are not counted: they wait for a WINDOW_UPDATE, which only reading brings.
 * Event loop only.
 */
final class OutputBudget {
    private final StreamTransport transport;
    private final long limit;
    private final long lowWater;
    private final long stallMillis;
    private final Runnable stopReading;
    private final Runnable readAgain;
    private final Runnable stalled;
    private StreamTransport.Cancellable stallTimer;
    private boolean over;

    OutputBudget(StreamTransport transport, StreamConfig config, Runnable stopReading, Runnable readAgain, Runnable stalled) {
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
            over = true;
            stopReading.run();
            stallTimer = transport.after(stallMillis, this::expired);
        }
    }

    /** The connection drained (or a tick looks): at half the budget or less, read again. */
    void drained() {
        if (over && transport.queuedBytes() <= lowWater) {
            over = false;
            cancelTimer();
            readAgain.run();
        }
    }

    /** True while the stream does not read because of its output: silence then is not the peer's. */
    boolean readingStopped() {
        return over;
    }

    long limit() {
        return limit;
    }

    long stallMillis() {
        return stallMillis;
    }

    /** The stream ended: no more stall timer. */
    void stop() {
        cancelTimer();
    }

    private void expired() {
        stallTimer = null;
        if (over) {
            stalled.run();
        }
    }

    private void cancelTimer() {
        if (stallTimer != null) {
            stallTimer.cancel();
            stallTimer = null;
        }
    }
}
