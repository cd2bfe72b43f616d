package org.dapstream.bench;

import java.util.concurrent.CompletableFuture;

/**
 * One round of report requests to every receiver; completes when all have answered, with
 * the summed counts and the time the last answer arrived. Answers come from several loops.
 */
final class ReportRound {
    private final int expected;
    private final CompletableFuture<ReportRound> done = new CompletableFuture<>();
    private int answered;
    private long messages;
    private long bytes;
    private long lastAnswerNanos;

    ReportRound(int expected) {
        this.expected = expected;
    }

    synchronized void answer(long receivedMessages, long receivedBytes, long atNanos) {
        messages += receivedMessages;
        bytes += receivedBytes;
        lastAnswerNanos = Math.max(lastAnswerNanos, atNanos);
        if (++answered == expected) {
            done.complete(this);
        }
    }

    CompletableFuture<ReportRound> done() {
        return done;
    }

    synchronized long messages() {
        return messages;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long lastAnswerNanos() {
        return lastAnswerNanos;
    }
}
