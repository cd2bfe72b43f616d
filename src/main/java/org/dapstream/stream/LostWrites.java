package org.dapstream.stream;

/**
 * The messages a channel accepted ({@link Channel#write}, {@link Channel#send}) that never
 * reached the connection, and their report to the application through
 * {@link ChannelHandler#writesLost}. Written on the stream's event loop only; the totals are
 * volatile so {@link Channel#writesLost()} may be read from any thread.
 *
 * <p>Writes from other threads that reach the loop after their channel closed arrive one task
 * each; reporting each would call the handler (and, before, log a line) per message. They are
 * gathered instead, and one report task, queued behind them, tells them all at once.
 */
final class LostWrites {
    private static final System.Logger LOG = System.getLogger(LostWrites.class.getName());

    private volatile long messages;
    private volatile long bytes;
    private long unreportedMessages;
    private long unreportedBytes;

    long messages() {
        return messages;
    }

    long bytes() {
        return bytes;
    }

    /** Messages queued on the channel when it ended: counted and reported now, before its closed callback. */
    void lostNow(Channel ch, long count, long size, Object why) {
        add(count, size);
        report(ch, why);
    }

    /**
     * A write from another thread that found its channel closed on the loop. Reported by a
     * task queued behind it; true when the caller must queue that task (the first of a batch).
     */
    boolean lostLater(long size) {
        boolean first = unreportedMessages == 0;
        add(1, size);
        return first;
    }

    private void add(long count, long size) {
        // volatile, but only ever written on the loop
        messages += count;
        bytes += size;
        unreportedMessages += count;
        unreportedBytes += size;
    }

    /** Tells the handler what was lost since the last report; nothing when nothing was. */
    void report(Channel ch, Object why) {
        long count = unreportedMessages;
        long size = unreportedBytes;
        if (count == 0) {
            return;
        }
        unreportedMessages = 0;
        unreportedBytes = 0;
        LOG.log(System.Logger.Level.DEBUG, () -> count + " message(s), " + size + " bytes, written to " + ch + " not sent: " + why);
        try {
            ch.handler.writesLost(ch, count, size);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "writesLost callback of " + ch + " threw", e);
        }
    }
}
