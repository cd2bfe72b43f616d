package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link ReceiveWindow} alone, the one grant rule of channels and the stream: the peer's
 * credit, the grant due at half the window, and the growth that rides on a grant.
 */
class ReceiveWindowTest {
    private static final long WINDOW = 1_000_000;
    private static final long HALF = WINDOW / 2;
    private static final long FAST = WindowGrowth.GROWTH_INTERVAL_NANOS - 1;
    private static final long SLOW = WindowGrowth.GROWTH_INTERVAL_NANOS;
    /** An arbitrary clock origin, far from 0, as a real nanoTime is. */
    private static final long T0 = 5_000_000_000_000L;

    /** A window of {@link #WINDOW} started at {@link #T0} (its growth is timed from there). */
    private static ReceiveWindow started() {
        ReceiveWindow w = new ReceiveWindow(WINDOW);
        assertEquals(0, w.start(WINDOW, T0));
        return w;
    }

    // ---------------------------------------------------------------- the peer's credit

    @Test
    void takeReportsAViolationExactlyWhenTheCreditGoesBelowZero() {
        ReceiveWindow w = new ReceiveWindow(WINDOW);
        assertTrue(w.take((int) (WINDOW - 1)));
        assertEquals(1, w.credit);
        assertTrue(w.take(1), "the last byte of the window is still within it");
        assertEquals(0, w.credit);
        assertTrue(w.take(0), "an empty message takes nothing");
        assertFalse(w.take(1), "one byte past the window is a violation");
        assertEquals(-1, w.credit, "the overdraft stays visible for the error message");
    }

    // ---------------------------------------------------------------- grants

    @Test
    void aGrantIsDueOnceHalfTheWindowWasConsumed() {
        ReceiveWindow w = new ReceiveWindow(WINDOW);
        assertEquals(HALF, w.threshold);
        assertFalse(w.consumed(HALF - 1));
        assertFalse(w.grantDue());
        assertTrue(w.consumed(1), "exactly half the window");
        assertTrue(w.grantDue());
        assertTrue(w.consumed(10), "still due until granted");
    }

    @Test
    void aGrantReturnsTheConsumedBytesResetsPendingAndGivesThePeerTheCredit() {
        ReceiveWindow w = started();
        assertTrue(w.take((int) WINDOW));
        assertEquals(0, w.credit);
        w.consumed(HALF + 123);
        assertEquals(HALF + 123, w.grant(T0 + SLOW, false, WINDOW));
        assertEquals(0, w.pending);
        assertFalse(w.grantDue());
        assertEquals(HALF + 123, w.credit, "the peer may send what was granted");
        assertEquals(WINDOW, w.window());
        assertEquals(HALF, w.threshold);
    }

    @Test
    void consumedBytesThatWaitUnreadDelayTheGrantUntilRead() {
        ReceiveWindow w = started();
        // Reassembly credited 300 000 bytes that then went into an unread buffer: taken back.
        w.consumed(300_000);
        w.pending -= 300_000;
        assertEquals(0, w.pending);
        w.pending -= 100_000; // and another 100 000 held bytes
        assertFalse(w.consumed(HALF), "half a window consumed, but 100 000 bytes are still held");
        assertEquals(HALF - 100_000, w.pending);
        assertFalse(w.grantDue());
        assertTrue(w.consumed(100_000), "reading the held bytes makes the grant due");
        assertEquals(HALF, w.grant(T0 + SLOW, false, WINDOW));
    }

    // ---------------------------------------------------------------- growth

    @Test
    void aFastGrantDoublesTheWindowUpToTheMaximumAndTheThresholdFollows() {
        ReceiveWindow w = started();
        long now = T0;
        w.consumed(HALF);
        now += FAST;
        assertEquals(HALF + WINDOW, w.grant(now, true, 3 * WINDOW), "the half consumed, plus the growth 1 -> 2 windows");
        assertEquals(2 * WINDOW, w.window());
        assertEquals(WINDOW, w.threshold, "half of the grown window");
        assertEquals(WINDOW + HALF + WINDOW, w.credit, "nothing was taken: the initial credit plus the grant");

        assertFalse(w.consumed(HALF), "the old threshold no longer makes a grant due");
        assertTrue(w.consumed(HALF));
        now += FAST;
        assertEquals(WINDOW + WINDOW, w.grant(now, true, 3 * WINDOW), "doubling would pass the maximum: grown to it only");
        assertEquals(3 * WINDOW, w.window());
        assertEquals(3 * WINDOW / 2, w.threshold);

        w.consumed(3 * WINDOW / 2);
        now += FAST;
        assertEquals(3 * WINDOW / 2, w.grant(now, true, 3 * WINDOW), "at the maximum: the consumed bytes only");
        assertEquals(3 * WINDOW, w.window());
    }

    @Test
    void noGrowthWhenTheConsumptionMayNotGrowIt() {
        ReceiveWindow w = started();
        w.consumed(HALF);
        assertEquals(HALF, w.grant(T0 + FAST, false, 8 * WINDOW), "bytes reassembly took say nothing of the reader's pace");
        assertEquals(WINDOW, w.window());
        assertEquals(HALF, w.threshold);
    }

    @Test
    void noGrowthWhenHalfAWindowTookTheGrowthIntervalOrLonger() {
        ReceiveWindow w = started();
        w.consumed(HALF);
        assertEquals(HALF, w.grant(T0 + SLOW, true, 8 * WINDOW), "exactly the interval is slow");
        assertEquals(WINDOW, w.window());
        // The time counts from the last grant, not from the start: a fast half window now grows it.
        w.consumed(HALF);
        assertEquals(HALF + WINDOW, w.grant(T0 + SLOW + FAST, true, 8 * WINDOW));
        assertEquals(2 * WINDOW, w.window());
    }

    // ---------------------------------------------------------------- start

    @Test
    void aConfiguredWindowAboveTheInitialOneIsGrantedAtStart() {
        ReceiveWindow w = new ReceiveWindow(WINDOW);
        assertEquals(2 * WINDOW, w.start(3 * WINDOW, T0));
        assertEquals(3 * WINDOW, w.credit, "the peer may send the whole configured window");
        assertEquals(3 * WINDOW, w.window());
        assertEquals(3 * WINDOW / 2, w.threshold);
        assertEquals(0, w.pending, "the extra credit is not a consumption");
    }

    @Test
    void aConfiguredWindowNotAboveTheInitialOneGrantsNothing() {
        ReceiveWindow same = new ReceiveWindow(WINDOW);
        assertEquals(0, same.start(WINDOW, T0));
        assertEquals(WINDOW, same.credit);

        ReceiveWindow smaller = new ReceiveWindow(WINDOW);
        assertEquals(0, smaller.start(WINDOW / 4, T0));
        assertEquals(WINDOW, smaller.credit, "credit the peer already has is never taken back");
        assertEquals(WINDOW / 4, smaller.window());
        assertEquals(WINDOW / 8, smaller.threshold);
    }

    @Test
    void theGrowthIntervalIsTimedFromTheStart() {
        ReceiveWindow w = new ReceiveWindow(WINDOW);
        w.start(WINDOW, T0);
        w.consumed(HALF);
        assertEquals(HALF, w.grant(T0 + SLOW, true, 8 * WINDOW), "a slow first half window does not grow it");
        ReceiveWindow fast = new ReceiveWindow(WINDOW);
        fast.start(WINDOW, T0);
        fast.consumed(HALF);
        assertEquals(HALF + WINDOW, fast.grant(T0 + FAST, true, 8 * WINDOW));
    }
}
