package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The keepalive engine inside a stream, with the manual clock: pings, pongs, latency, timeouts. */
class StreamKeepAliveTest extends EngineTest {
    private static final long MS = 1_000_000;

    /** Advances in 5 ms steps until the stream sends a ping; fails after {@code limitMs}. */
    static Frame awaitPing(StreamHarness h, long limitMs) {
        long start = h.clock.elapsedMillis();
        while (h.clock.elapsedMillis() - start < limitMs) {
            h.advanceMillis(5);
            for (Frame f : h.peer.frames()) {
                if (f.type() == PacketType.KEEPALIVE && !f.keepAlive().pong()) {
                    return f;
                }
                throw new AssertionError("unexpected frame while waiting for a ping: " + f);
            }
        }
        throw new AssertionError("no ping within " + limitMs + " ms");
    }

    @Test
    void aPingGoesOutWhenTheWriteSideIsIdleForTheInterval() {
        StreamHarness h = StreamHarness.activeAcceptor(); // WELCOME written at t = 0
        List<Long> pingTimes = new ArrayList<>();
        for (int step = 0; step < 10; step++) { // 2.5 s, inside the 3 s read timeout
            h.advanceMillis(250);
            for (Frame f : h.peer.frames()) {
                assertEquals(0, f.ch());
                KeepAlivePayload ka = f.keepAlive();
                assertFalse(ka.pong());
                assertEquals(h.clock.nanoTime(), ka.timestamp(), "the ping carries the sender's nanoTime");
                pingTimes.add(h.clock.elapsedMillis());
            }
        }
        assertFalse(pingTimes.isEmpty(), "no ping in 2.5 s of silence");
        long first = pingTimes.get(0);
        assertTrue(first >= 1000 && first <= 1250,
                "first ping after 1 s of idle write side, at most a tick late: at " + first + " ms");
        for (int i = 1; i < pingTimes.size(); i++) {
            long gap = pingTimes.get(i) - pingTimes.get(i - 1);
            assertTrue(gap >= 1000 && gap <= 1500, "pings " + gap + " ms apart: " + pingTimes);
        }
        assertTrue(h.stream.active());
    }

    @Test
    void noPingWhileWritingContinuously() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        for (int step = 0; step < 30; step++) { // 6 s
            ch.write(PacketType.DATA, new byte[] {(byte) step});
            h.peer.data(1, "keep reading");
            h.advanceMillis(200);
        }
        List<Frame> sent = h.peer.frames();
        assertEquals(30, sent.size());
        assertTrue(sent.stream().noneMatch(f -> f.type() == PacketType.KEEPALIVE), "a writing stream needs no ping");

        long lastWrite = h.clock.elapsedMillis() - 200;
        Frame ping = null;
        while (ping == null && h.clock.elapsedMillis() - lastWrite < 3000) {
            h.peer.data(1, "still reading");
            h.advanceMillis(50);
            for (Frame f : h.peer.frames()) {
                assertEquals(PacketType.KEEPALIVE, f.type());
                ping = f;
            }
        }
        assertNotNull(ping, "a ping once the writes stop");
        long idle = h.clock.elapsedMillis() - lastWrite;
        assertTrue(idle >= 1000 && idle <= 1250 + 50, "ping after " + idle + " ms of idle write side");
    }

    @Test
    void aPingIsAnsweredWithAPongEchoingTheTimestamp() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.ping(0x0123_4567_89AB_CDEFL);
        Frame pong = h.peer.only(PacketType.KEEPALIVE, 0);
        assertEquals(new KeepAlivePayload(true, 0x0123_4567_89AB_CDEFL), pong.keepAlive());
        assertEquals("01" + "efcdab8967452301", java.util.HexFormat.of().formatHex(pong.payload()));

        h.peer.ping(-1L); // any 64 bits: the pong echoes, only the pinger reads them
        assertEquals(new KeepAlivePayload(true, -1L), h.peer.only(PacketType.KEEPALIVE, 0).keepAlive());
    }

    @Test
    void pongsFeedTheAverageLatency() {
        StreamHarness h = StreamHarness.activeAcceptor();
        assertTrue(Double.isNaN(h.stream.stats().avgLatencyMillis()), "no round trip measured yet");
        long[] rttsMs = {100, 20, 60};
        double[] expected = {100, 90, 86.25}; // avg += (rtt - avg) / 8
        for (int i = 0; i < rttsMs.length; i++) {
            Frame ping = awaitPing(h, 2000);
            // Answer exactly rtt after the ping left (its timestamp is the stream's nanoTime then).
            h.advance(Duration.ofNanos(ping.keepAlive().timestamp() + rttsMs[i] * MS - h.clock.nanoTime()));
            h.peer.pong(ping.keepAlive().timestamp());
            h.peer.expectNothing(); // a pong is not answered
            assertEquals(expected[i], h.stream.stats().avgLatencyMillis(), 1e-9, "after pong " + (i + 1));
        }
        assertTrue(h.stream.active());
    }

    @Test
    void aPongThatAnswersNoPingIsIgnored() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.advanceMillis(5);
        h.peer.pong(h.clock.nanoTime() + 1000 * MS); // from the future
        h.peer.pong(1); // from the stream's start: would make the round trip its uptime
        h.peer.pong(h.clock.nanoTime() - 7 * MS); // a plausible time, but no ping of ours
        assertTrue(Double.isNaN(h.stream.stats().avgLatencyMillis()));
        assertEquals(3, h.counters.pongsIgnored());
        Frame ping = awaitPing(h, 2000);
        h.advance(Duration.ofNanos(ping.keepAlive().timestamp() + 7 * MS - h.clock.nanoTime()));
        h.peer.pong(ping.keepAlive().timestamp());
        assertEquals(7.0, h.stream.stats().avgLatencyMillis(), 1e-9);
        assertTrue(h.stream.active(), "an ignored pong does not end the stream");
    }

    @Test
    void silenceForTheTimeoutEndsTheStream() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.advanceMillis(2750);
        assertTrue(h.stream.active(), "not before the 3 s timeout");
        h.advanceMillis(500);
        Frame error = h.peer.expectStreamError(ErrorCode.KEEPALIVE_TIMEOUT);
        assertEquals("no bytes from the peer for 3000 ms", error.reason().reason());
        assertEquals(1, h.counters.keepAliveTimeouts());
        assertEquals(1, h.counters.errorsSent(ErrorCode.KEEPALIVE_TIMEOUT));
        assertTrue(h.transport.closed());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, done(ch.closed()).errorCode());
        assertEquals(0, h.sessions.size());
        assertEquals(List.of(), h.scheduler.timers(), "the ticker is cancelled");
    }

    @Test
    void anyBytesKeepTheReadSideAlive() {
        StreamHarness h = StreamHarness.activeAcceptor();
        for (int i = 0; i < 20; i++) {
            h.advanceMillis(2500);
            h.peer.pong(h.clock.nanoTime()); // one frame every 2.5 s < 3 s
        }
        assertTrue(h.stream.active());
        assertEquals(0, h.counters.keepAliveTimeouts());
    }

    @Test
    void aFrameBegunAndNotFinishedIsTruncatedFrame() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        byte[] frame = FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[100]);
        h.peer.feed(java.util.Arrays.copyOf(frame, 20)); // header and 8 payload bytes
        h.advanceMillis(3500);
        Frame error = h.peer.expectStreamError(ErrorCode.TRUNCATED_FRAME);
        assertEquals("a frame was begun and not completed within 3000 ms", error.reason().reason());
        assertEquals(0, h.counters.keepAliveTimeouts(), "counted as a truncated frame, not a keepalive timeout");
        assertEquals(1, h.counters.errorsSent(ErrorCode.TRUNCATED_FRAME));
    }

    @Test
    void aPartialHeaderIsTruncatedFrameToo() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.feed(new byte[] {5, 0, 0});
        h.advanceMillis(3500);
        h.peer.expectStreamError(ErrorCode.TRUNCATED_FRAME);
    }

    @Test
    void theTickStampsSessionActivityWhenBytesArrived() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Session s = h.stream.session();
        h.advanceMillis(1000);
        assertEquals(FakeClock.START_MILLIS + 250, s.lastActivity(), "the first tick after the HELLO");
        h.peer.ping(1);
        assertEquals(FakeClock.START_MILLIS + 250, s.lastActivity(), "kept to the tick, not per frame");
        h.advanceMillis(250);
        assertEquals(FakeClock.START_MILLIS + 1250, s.lastActivity());
        h.advanceMillis(1000);
        assertEquals(FakeClock.START_MILLIS + 1250, s.lastActivity(), "no bytes, no activity");
    }

    @Test
    void aConnectorPingsForItsPeersTimeout() {
        // The acceptor says its timeout is 900 ms: the connector must be heard more often than that.
        StreamHarness h = StreamHarness.connector();
        h.peer.handshakeAsAcceptor(StreamHarness.PEER_SESSION, 900);
        List<Long> sendTimes = new ArrayList<>();
        for (int i = 0; i < 200; i++) { // 5 s in 25 ms steps; the peer pongs every ping at once
            h.advanceMillis(25);
            for (Frame f : h.peer.frames()) {
                sendTimes.add(h.clock.elapsedMillis());
                h.peer.pong(f.keepAlive().timestamp());
            }
        }
        assertTrue(sendTimes.size() >= 5, "pings: " + sendTimes);
        long worst = sendTimes.get(0);
        for (int i = 1; i < sendTimes.size(); i++) {
            worst = Math.max(worst, sendTimes.get(i) - sendTimes.get(i - 1));
        }
        assertTrue(worst < 900, "the connector was silent for " + worst + " ms: " + sendTimes);
    }

    /**
     * Regression test (fixed): the connector adopts a shorter ping interval from WELCOME (a third of the peer's
     * timeout) but keeps ticking at a quarter of its own configured interval (250 ms), and the
     * ping it sends counts as a write on the next tick. Against an acceptor whose timeout is
     * 450 ms it pings only every 500 ms, so an acceptor that is itself busy writing (and so
     * never pings) times out a healthy connector.
     */
    @Test
    void aConnectorKeepsAShortPeerTimeout() {
        StreamHarness h = StreamHarness.connector();
        h.peer.handshakeAsAcceptor(StreamHarness.PEER_SESSION, 450);
        h.peerOpens(2); // the acceptor pushes data on a channel it opened; the connector only listens
        List<Long> sendTimes = new ArrayList<>();
        sendTimes.add(h.clock.elapsedMillis()); // the OPEN_ACK
        for (int i = 0; i < 200; i++) { // 5 s in 25 ms steps
            h.peer.data(2, "push " + i);
            h.advanceMillis(25);
            for (Frame f : h.peer.frames()) {
                assertEquals(PacketType.KEEPALIVE, f.type());
                sendTimes.add(h.clock.elapsedMillis());
            }
        }
        long worst = 0;
        for (int i = 1; i < sendTimes.size(); i++) {
            worst = Math.max(worst, sendTimes.get(i) - sendTimes.get(i - 1));
        }
        assertTrue(worst < 450, "the connector was silent for " + worst + " ms against a 450 ms peer timeout: " + sendTimes);
    }
}
