package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * Receive windows that grow while the application consumes fast (WindowGrowth), with the
 * manual clock: the time between grants decides, and the maximum bounds what a peer can then
 * make this side hold.
 */
class WindowGrowthTest extends EngineTest {
    private static final int FRAME = FlowControlTest.FRAME;
    private static final int WINDOW = FlowWindow.INITIAL_CHANNEL_WINDOW;
    private static final long GROWTH_MS = WindowGrowth.GROWTH_INTERVAL_NANOS / 1_000_000;
    private static final long MAX_CHANNEL = FlowConfig.SUGGESTED_MAX_CHANNEL_WINDOW;
    private static final long MAX_STREAM = FlowConfig.SUGGESTED_MAX_STREAM_WINDOW;

    /** Growth is opt-in: the suggested maxima for a high bandwidth-delay path. */
    private static StreamHarness growing() {
        return StreamHarness.activeAcceptor(StreamHarness.defaults().withFlow(FlowConfig.defaults().withMaxWindows(MAX_CHANNEL, MAX_STREAM)));
    }

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
        StreamHarness h = growing();
        h.peerOpens(1);
        // Consumed as fast as it comes (the clock does not move): every grant is "fast".
        List<Long> increments = channelIncrements(stream(h, 160, 0));
        // Each grant returns the consumed half and adds the growth: 1 -> 2 -> 4 -> 8 MiB, then plain halves.
        assertEquals(List.of(512 * 1024L + WINDOW, 1024 * 1024L + 2 * WINDOW, 2048 * 1024L + 4 * WINDOW, 4096 * 1024L),
                increments.subList(0, 4));
        for (long inc : increments.subList(3, increments.size())) {
            assertEquals(MAX_CHANNEL / 2, inc, "at the maximum every grant is half of it");
        }
        assertEquals(MAX_CHANNEL, h.service.channel(1).receiveWindow());
    }

    @Test
    void aReaderThatTakesLongerThanTheGrowthIntervalPerHalfWindowKeepsItsWindow() {
        StreamHarness h = growing();
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
        StreamHarness h = growing();
        h.peerOpens(1);
        List<ControlMessage.WindowUpdate> grants = stream(h, 1024, 0);
        long streamGranted = grants.stream().filter(g -> g.channelId() == 0).mapToLong(ControlMessage.WindowUpdate::increment).sum();
        long consumed = 1024L * FRAME;
        // What was granted on the stream = what was consumed (rounded to the last half window) + growth to the maximum.
        long growth = MAX_STREAM - FlowWindow.INITIAL_STREAM_WINDOW;
        assertTrue(streamGranted <= consumed + growth && streamGranted > consumed + growth - MAX_STREAM / 2,
                "stream grants " + streamGranted + " for " + consumed + " consumed");
    }

    @Test
    void anUnreadPullChannelNeverGrowsSoItsBoundStaysTheConfiguredWindow() {
        StreamHarness h = growing();
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
        StreamHarness h = growing();
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
        assertEquals(MAX_CHANNEL, ch.receiveWindow());
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
        assertTrue(h.stream.heldBytes() <= MAX_CHANNEL,
                h.stream.heldBytes() + " held, maximum window " + MAX_CHANNEL);
        assertTrue(h.stream.heldBytes() >= MAX_CHANNEL / 2, "the grown window was usable: " + h.stream.heldBytes());
        assertTrue(handler.payloads.size() >= 256, "the fast phase was handled");
    }

    @Test
    void byDefaultTheWindowsDoNotGrow() {
        StreamHarness h = StreamHarness.activeAcceptor();
        assertEquals(FlowConfig.defaults().channelWindow(), FlowConfig.defaults().maxChannelWindow());
        assertEquals(FlowConfig.defaults().streamWindow(), FlowConfig.defaults().maxStreamWindow());
        h.peerOpens(1);
        List<Long> increments = channelIncrements(stream(h, 160, 0));
        assertEquals(160 / 8, increments.size(), "a grant every 8 frames (half of 1 MiB)");
        for (long inc : increments) {
            assertEquals(WINDOW / 2, inc);
        }
        assertEquals(WINDOW, h.service.channel(1).receiveWindow());
    }

    @Test
    void theMaximumMayNotBeBelowTheWindow() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FlowConfig.defaults().withMaxWindows(WINDOW - 1, MAX_STREAM));
        assertEquals(WINDOW, FlowConfig.defaults().withMaxWindows(FlowConfig.NO_GROWTH, MAX_STREAM).maxChannelWindow(), "0: no growth");
        assertTrue(e.getMessage().contains("maxChannelWindow"), e.getMessage());
    }
}
