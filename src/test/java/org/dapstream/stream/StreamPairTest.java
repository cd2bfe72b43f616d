package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/** Two engines talking to each other through fake transports: the protocol end to end. */
class StreamPairTest {
    private StreamPair pair;

    @AfterEach
    void transportsUsedCorrectly() {
        if (pair != null) {
            pair.assertTransportsUsedCorrectly();
        }
    }

    private Channel open(Stream s, ChannelType type, ChannelHandler handler) {
        CompletableFuture<Channel> f = s.openChannel(type, handler);
        pair.pump();
        assertTrue(f.isDone(), "open answered");
        return done(f);
    }

    @Test
    void setupEndToEnd() {
        pair = StreamPair.active();
        assertSame(pair.connector, done(pair.connector.ready()));
        assertSame(pair.acceptor, done(pair.acceptor.ready()));
        assertEquals(StreamPair.ACCEPTOR_NODE, pair.connector.node());
        assertEquals(StreamPair.CONNECTOR_NODE, pair.acceptor.node());
        assertEquals(pair.acceptor.session().id(), pair.connector.session().id(), "one session, seen from both ends");
        assertSame(pair.acceptor.session(), pair.sessions.find(pair.connector.session().id()));
        assertTrue(pair.connector.primary() && pair.acceptor.primary());
    }

    @Test
    void echoRoundTrip() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel ch = open(pair.connector, ChannelType.ECHO, mine);
        assertEquals(1, ch.id());
        ch.write(PacketType.DATA, "hello".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.CONTROL, "ctl".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.DATA, new byte[0]);
        pair.pump();
        assertEquals(List.of("in 1 DATA hello", "in 1 CONTROL ctl", "in 1 DATA "), mine.events("in"));
        assertEquals(new ChannelStats(3, 3, 8, 8), ch.stats());
    }

    @Test
    void discardCountsAndReports() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel ch = open(pair.connector, ChannelType.DISCARD, mine);
        ch.write(PacketType.DATA, new byte[100]);
        ch.write(PacketType.DATA, new byte[2000]);
        ch.write(PacketType.DATA, new byte[3]);
        ch.write(PacketType.CONTROL, new byte[] {'?'});
        pair.pump();
        assertEquals(1, mine.payloads.size(), "only the report comes back");
        assertArrayEquals(new long[] {3, 2103}, DiscardService.readReport(ByteBuffer.wrap(mine.payloads.get(0))));
    }

    @Test
    void bothSidesOpenChannelsWithoutCollision() {
        pair = StreamPair.active();
        CompletableFuture<Channel> fromConnector = pair.connector.openChannel(StreamHarness.APP, new RecordingHandler());
        CompletableFuture<Channel> fromAcceptor = pair.acceptor.openChannel(StreamHarness.APP, new RecordingHandler());
        pair.pump();
        assertEquals(1, done(fromConnector).id());
        assertEquals(2, done(fromAcceptor).id());
        assertEquals(List.of("opened 1"), pair.acceptorApp.events);
        assertEquals(List.of("opened 2"), pair.connectorApp.events);
        assertEquals(2, pair.connector.channels().size());
        assertEquals(2, pair.acceptor.channels().size());
    }

    @Test
    void largePacketsArriveIntact() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel ch = open(pair.connector, ChannelType.ECHO, mine);
        Random random = new Random(99);
        byte[][] sent = new byte[20][];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = new byte[i == 0 ? FrameLimits.DEFAULT_MESSAGE_PAYLOAD : random.nextInt(FrameLimits.DEFAULT_MESSAGE_PAYLOAD)];
            random.nextBytes(sent[i]);
            ch.write(PacketType.DATA, sent[i]);
        }
        pair.pump();
        assertEquals(sent.length, mine.payloads.size());
        for (int i = 0; i < sent.length; i++) {
            assertArrayEquals(sent[i], mine.payloads.get(i), "packet " + i);
        }
    }

    @Test
    void channelCloseEndToEnd() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel ch = open(pair.connector, StreamHarness.APP, mine);
        Channel theirs = pair.acceptorApp.channel(1);
        CompletableFuture<CloseReason> closed = ch.close();
        pair.pump();
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(closed));
        assertEquals(CloseReason.of(ErrorCode.NORMAL, "closed by application"), done(theirs.closed()));
        assertEquals(List.of(), pair.connector.channels());
        assertEquals(List.of(), pair.acceptor.channels());
        assertTrue(pair.connector.active() && pair.acceptor.active());
    }

    @Test
    void simultaneousChannelCloseEndToEnd() {
        pair = StreamPair.active();
        Channel ch = open(pair.connector, StreamHarness.APP, new RecordingHandler());
        Channel theirs = pair.acceptorApp.channel(1);
        ch.close();
        theirs.close();
        pair.pump();
        assertTrue(ch.closed().isDone() && theirs.closed().isDone());
        assertEquals(List.of(), pair.connector.channels());
        assertEquals(List.of(), pair.acceptor.channels());
        assertTrue(pair.connector.active() && pair.acceptor.active(), "no error from the crossing CLOSEs");
    }

    @Test
    void gracefulStreamCloseEndToEnd() {
        pair = StreamPair.active();
        Channel ch = open(pair.connector, ChannelType.ECHO, new RecordingHandler());
        pair.connector.close();
        pair.pump();
        CloseReason normal = CloseReason.of(ErrorCode.NORMAL, "closed by application");
        assertEquals(normal, done(pair.connector.closed()));
        assertEquals(normal, done(pair.acceptor.closed()), "the acceptor reports the reason the connector gave");
        assertEquals(normal, done(ch.closed()));
        assertEquals(StreamState.CLOSED, pair.acceptor.state());
        assertEquals(0, pair.sessions.size());
        assertTrue(pair.connectorTransport.closed() && pair.acceptorTransport.closed());
        assertEquals(0, pair.connectorCounters.errorsReceived(ErrorCode.CONNECTION_LOST));
    }

    @Test
    void simultaneousStreamCloseEndToEnd() {
        pair = StreamPair.active();
        pair.connector.close();
        pair.acceptor.close();
        pair.pump();
        CloseReason normal = CloseReason.of(ErrorCode.NORMAL, "closed by application");
        assertEquals(normal, done(pair.connector.closed()));
        assertEquals(normal, done(pair.acceptor.closed()));
        assertEquals(0, pair.connectorCounters.errorsSent(ErrorCode.PROTOCOL_VIOLATION)
                + pair.acceptorCounters.errorsSent(ErrorCode.PROTOCOL_VIOLATION));
    }

    @Test
    void anErrorEndsBothEnds() {
        pair = StreamPair.active();
        pair.acceptor.abort(ErrorCode.GOING_AWAY, "shutting down");
        pair.pump();
        assertEquals(CloseReason.of(ErrorCode.GOING_AWAY, "shutting down"), done(pair.connector.closed()));
        assertEquals(1, pair.connectorCounters.errorsReceived(ErrorCode.GOING_AWAY));
        assertEquals(1, pair.acceptorCounters.errorsSent(ErrorCode.GOING_AWAY));
    }

    @Test
    void keepAliveHoldsAnIdleLinkAndMeasuresLatency() {
        pair = StreamPair.active();
        pair.run(Duration.ofSeconds(20), 10);
        assertTrue(pair.connector.active() && pair.acceptor.active());
        assertEquals(0, pair.connectorCounters.keepAliveTimeouts() + pair.acceptorCounters.keepAliveTimeouts());
        double latency = pair.connector.stats().avgLatencyMillis();
        assertEquals(0.0, latency, "pongs come back in the same pump: a round trip of 0 ms");
        assertTrue(pair.connector.stats().packetsSent() > 10, "pings went out");
    }

    @Test
    void aPeerThatStopsReadingIsTimedOut() {
        pair = StreamPair.active();
        pair.acceptorTransport.pauseReading(); // the acceptor's socket stops reading: the connector hears nothing back
        pair.connectorTransport.pauseReading();
        pair.run(Duration.ofSeconds(4), 50);
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, done(pair.connector.closed()).errorCode());
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, done(pair.acceptor.closed()).errorCode());
        pair.acceptorTransport.resumeReading();
        pair.connectorTransport.resumeReading();
    }

    @Test
    void echoStopsReadingWhileItsWritesBackUp() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel ch = open(pair.connector, ChannelType.ECHO, mine);
        pair.acceptorTransport.writeQueueFull = true;
        ch.write(PacketType.DATA, "1".getBytes(StandardCharsets.UTF_8));
        ch.write(PacketType.DATA, "2".getBytes(StandardCharsets.UTF_8));
        pair.pump();
        assertFalse(pair.acceptorTransport.paused(), "the echo service pauses its channel, not the stream");
        assertEquals(List.of("in 1 DATA 1"), mine.events("in"),
                "1 was echoed (accepted though the socket was full), then the channel paused: 2 is held");
        ch.write(PacketType.DATA, "3".getBytes(StandardCharsets.UTF_8));
        pair.pump();
        assertEquals(1, mine.events("in").size(), "3 is held too, uncredited");

        pair.acceptorTransport.writeQueueFull = false;
        pair.acceptor.onWritable();
        pair.acceptorTransport.runPending();
        pair.pump();
        assertEquals(List.of("in 1 DATA 1", "in 1 DATA 2", "in 1 DATA 3"), mine.events("in"));
    }
}
