package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** Node-wide counters: traffic of ended streams stays in the totals, live streams by role, round trips. */
class StreamCountersTest extends EngineTest {
    private static final long MS = 1_000_000;

    @Test
    void trafficTotalsKeepWhatEndedStreamsCarried() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel one = h.peerOpens(1);
        h.peer.data(1, "alpha");
        one.write(org.dapstream.protocol.PacketType.DATA, new byte[40]);
        h.peer.history(); // collect what the stream sent so far

        StreamCounters.Traffic live = h.counters.traffic();
        StreamStats s = h.stream.stats();
        assertEquals(new StreamCounters.Traffic(s.packetsSent(), s.packetsReceived(), s.bytesSent(), s.bytesReceived()), live,
                "a live stream counts with its current figures");
        assertEquals(1, h.counters.streamsActive(StreamRole.ACCEPTOR));
        assertEquals(List.of(h.stream), h.counters.liveStreams());

        h.peer.error(0, ErrorCode.GOING_AWAY, "bye");
        assertEquals(StreamState.CLOSED, h.stream.state());
        StreamStats last = h.stream.stats();
        assertEquals(new StreamCounters.Traffic(last.packetsSent(), last.packetsReceived(), last.bytesSent(), last.bytesReceived()),
                h.counters.traffic(), "an ended stream's final figures stay in the totals");
        assertEquals(h.peer.framesFed(), h.counters.traffic().packetsReceived());
        assertEquals(h.peer.bytesFed(), h.counters.traffic().bytesReceived());
        assertEquals(0, h.counters.streamsActive(StreamRole.ACCEPTOR));
        assertEquals(1, h.counters.streamsOpened(StreamRole.ACCEPTOR));
        assertEquals(0, h.counters.streamsOpened(StreamRole.CONNECTOR));
        assertEquals(List.of(), h.counters.liveStreams());
    }

    @Test
    void streamsAreCountedByRole() {
        StreamHarness acceptor = StreamHarness.activeAcceptor();
        StreamHarness connector = StreamHarness.activeConnector();
        assertEquals(1, acceptor.counters.streamsActive(StreamRole.ACCEPTOR));
        assertEquals(0, acceptor.counters.streamsActive(StreamRole.CONNECTOR));
        assertEquals(1, connector.counters.streamsActive(StreamRole.CONNECTOR));
        assertEquals(0, connector.counters.streamsActive(StreamRole.ACCEPTOR));
    }

    @Test
    void eachPongReportsItsRoundTrip() {
        StreamHarness h = StreamHarness.activeAcceptor();
        List<Long> seen = new ArrayList<>();
        h.counters.onRoundTrip(seen::add);
        long first = StreamKeepAliveTest.awaitPing(h, 2000).keepAlive().timestamp();
        h.advance(java.time.Duration.ofNanos(first + 7 * MS - h.clock.nanoTime()));
        h.peer.pong(first);
        h.peer.pong(h.clock.nanoTime() + 1000 * MS); // not a timestamp of ours: no sample
        h.peer.pong(first); // answered already: no second sample
        long second = StreamKeepAliveTest.awaitPing(h, 2000).keepAlive().timestamp();
        h.advance(java.time.Duration.ofNanos(second + 3 * MS - h.clock.nanoTime()));
        h.peer.pong(second);
        assertEquals(List.of(7 * MS, 3 * MS), seen);
        assertEquals(2, h.counters.pongsIgnored());
        assertTrue(h.stream.active());
    }
}
