package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

/**
 * A peer that opens ECHO channels, sends a large message on each and never grants credit for
 * the echoes: each channel's first echo is queued whole, waiting for credit, where the
 * connection itself never fills (so the output budget's reading stop would not see it). What
 * ECHO owes the stream in all stays within the output budget plus one message, and the
 * stream is ended with RESOURCE_EXHAUSTED.
 */
class EchoOwedBudgetTest extends EngineTest {
    static final int MESSAGE = 4 * 1024 * 1024;
    static final int CHANNELS = 8;

    @Test
    void echoesAPeerGrantsNoCreditForStayWithinTheOutputBudget() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.services.register(new EchoService());
        long budget = h.stream.outputBudget();
        long mostOwed = 0;
        int sent = 0;
        for (int i = 0; i < CHANNELS && h.stream.state() == StreamState.ACTIVE; i++) {
            int ch = 1 + 2 * i;
            h.peer.open(ch, ChannelType.ECHO);
            Fragments.send(h.peer, ch, new byte[MESSAGE], 32 * 1024);
            sent++;
            mostOwed = Math.max(mostOwed, h.stream.queuedOutputBytes());
            h.scheduler.advanceMillis(1); // the deferred end runs with the loop's next tasks
            h.transport.runPending();
            h.peer.frames();
        }
        assertEquals(StreamState.CLOSED, h.stream.state(), "the stream was ended after " + sent + " channels");
        assertTrue(sent < CHANNELS, "it ended before the peer parked all " + CHANNELS + " messages");
        assertTrue(mostOwed <= budget + MESSAGE + 64 * 1024, "owed at most " + mostOwed + " bytes, budget " + budget);
        assertTrue(h.lifecycle.stream().anyMatch(l -> l.contains(ErrorCode.RESOURCE_EXHAUSTED.name())), "ended: " + h.lifecycle);
        assertEquals(1, h.counters.errorsSent(ErrorCode.RESOURCE_EXHAUSTED));
    }
}
