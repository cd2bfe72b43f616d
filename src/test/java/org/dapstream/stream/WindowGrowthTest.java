package org.dapstream.stream;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive windows that grow while the application consumes fast (WindowGrowth), with the
 * manual clock: the time between grants decides, and the maximum bounds what a peer can then
 * make this side hold.
 */
class WindowGrowthTest extends EngineTest {
    private static final int FRAME = FlowControlTest.FRAME;
    private static final int WINDOW = FlowWindow.INITIAL_CHANNEL_WINDOW;
    private static final long GROWTH_MS = WindowGrowth.GROWTH_INTERVAL_NANOS / 1_000_000;

    /** The peer sends {@code frames} frames of 64 KiB on channel 1, {@code gapMs} apart; returns the grants in order. */
    private static List<ControlMessage.WindowUpdate> stream(StreamHarness h, int frames, long gapMs) {
        List<ControlMessage.WindowUpdate> grants = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            h.peer.data(1, new byte[FRAME]);
            grants.addAll(FlowControlTest.grants(h.peer.frames()));
            if (gapMs > 0) {
                h.advanceMillis(gapMs);
            }
        }
        return grants;
    }

    private static List<Long> channelIncrements(List<ControlMessage.WindowUpdate> grants) {
        return grants.stream().filter(g -> g.channelId() == 1).map(ControlMessage.WindowUpdate::increment).toList();
    }

    @Test
    void aFastReaderDoublesTheChannelWindowAtEachGrantUpToTheMaximum() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        // Consumed as fast as it comes (the clock does not move): every grant is "fast".
        List<Long> increments = channelIncrements(stream(h, 160, 0));
        // Each grant returns the consumed half and adds the growth: 1 -> 2 -> 4 -> 8 MiB, then plain halves.
        assertEquals(List.of(512 * 1024L + WINDOW, 1024 * 1024L + 2 * WINDOW, 2048 * 1024L + 4 * WINDOW, 4096 * 1024L),
                increments.subList(0, 4));
        for (long inc : increments.subList(3, increments.size())) {
            assertEquals(FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW / 2, inc, "at the maximum every grant is half of it");
        }
        assertEquals(FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW, h.service.channel(1).receiveWindow());
    }

    @Test
    void aReaderThatTakesLongerThanTheGrowthIntervalPerHalfWindowKeepsItsWindow() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        // Half a window is 8 frames, 7 gaps between the grants' frames; 15 ms gaps make that 105 ms, over the interval.
        long gap = GROWTH_MS / 7 + 1;
        List<Long> increments = channelIncrements(stream(h, 64, gap));
        assertEquals(8, increments.size());
        for (long inc : increments) {
            assertEquals(WINDOW / 2, inc);
        }
        assertEquals(WINDOW, h.service.channel(1).receiveWindow());
    }

    @Test
    void theStreamWindowGrowsToItsMaximumTooAndNoFurther() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        List<ControlMessage.WindowUpdate> grants = stream(h, 1024, 0);
        long streamGranted = grants.stream().filter(g -> g.channelId() == 0).mapToLong(ControlMessage.WindowUpdate::increment).sum();
        long consumed = 1024L * FRAME;
        // What was granted on the stream = what was consumed (rounded to the last half window) + growth to the maximum.
        long growth = FlowConfig.DEFAULT_MAX_STREAM_WINDOW - FlowWindow.INITIAL_STREAM_WINDOW;
        assertTrue(streamGranted <= consumed + growth && streamGranted > consumed + growth - FlowConfig.DEFAULT_MAX_STREAM_WINDOW / 2,
                "stream grants " + streamGranted + " for " + consumed + " consumed");
    }

    @Test
    void anUnreadPullChannelNeverGrowsSoItsBoundStaysTheConfiguredWindow() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.service.pullMode();
        h.peerOpens(1);
        List<ControlMessage.WindowUpdate> grants = stream(h, WINDOW / FRAME, 0);
        assertTrue(channelIncrements(grants).isEmpty(), "nothing read, nothing granted: " + grants);
        assertEquals(WINDOW, h.stream.heldBytes());
        h.peer.data(1, new byte[1]);
        h.peer.expectStreamError(ErrorCode.FLOW_CONTROL_VIOLATION);
    }

    @Test
    void aPeerCanMakeAFastReaderThatStopsHoldAtMostTheMaximumWindow() {
        StreamHarness h = StreamHarness.activeAcceptor();
        RecordingHandler handler = h.service;
        Channel ch = h.peerOpens(1);
        long credit = WINDOW;
        // Fast consumption first: the window grows to the maximum.
        for (ControlMessage.WindowUpdate g : stream(h, 256, 0)) {
            if (g.channelId() == 1) {
                credit += g.increment();
            }
        }
        credit -= 256L * FRAME;
        assertEquals(FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW, ch.receiveWindow());
        // Then the application pauses: what the peer may still send is bounded by the grown window.
        ch.pause();
        while (credit >= FRAME) {
            h.peer.data(1, new byte[FRAME]);
            credit -= FRAME;
            for (ControlMessage.WindowUpdate g : FlowControlTest.grants(h.peer.frames())) {
                if (g.channelId() == 1) {
                    credit += g.increment();
                }
            }
        }
        assertTrue(h.stream.heldBytes() <= FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW,
                h.stream.heldBytes() + " held, maximum window " + FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW);
        assertTrue(h.stream.heldBytes() >= FlowConfig.DEFAULT_MAX_CHANNEL_WINDOW / 2, "the grown window was usable: " + h.stream.heldBytes());
        assertTrue(handler.payloads.size() >= 256, "the fast phase was handled");
    }

    @Test
    void fixedWindowsWhenTheMaximumEqualsTheWindow() {
        StreamHarness h = StreamHarness.activeAcceptor(StreamHarness.fixedWindows());
        h.peerOpens(1);
        for (long inc : channelIncrements(stream(h, 160, 0))) {
            assertEquals(WINDOW / 2, inc);
        }
        assertEquals(WINDOW, h.service.channel(1).receiveWindow());
    }

    @Test
    void theMaximumMayNotBeBelowTheWindow() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FlowConfig.defaults().withMaxWindows(WINDOW - 1, FlowConfig.DEFAULT_MAX_STREAM_WINDOW));
        assertTrue(e.getMessage().contains("maxChannelWindow"), e.getMessage());
    }
}
