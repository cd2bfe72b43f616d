package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.dapstream.stream.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** GOAWAY between two engines: the drain of one node as its peer sees it. */
class StreamGoAwayTest {
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
        return done(f);
    }

    @Test
    void thePeerLearnsOfGoAwayAndOpenChannelsKeepWorking() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        Channel echo = open(pair.connector, ChannelType.ECHO, mine);
        echo.write(PacketType.DATA, "before".getBytes(StandardCharsets.UTF_8));

        pair.acceptor.goAway(20_000, "10.0.0.7:8079", "draining");
        pair.pump();

        assertEquals(new ControlMessage.GoAway(20_000, "10.0.0.7:8079", "draining"), done(pair.connector.goingAway()));
        assertFalse(pair.acceptor.goingAway().isDone(), "the side that sent GOAWAY was not told to go");
        assertTrue(pair.connector.active(), "GOAWAY does not end the stream");
        echo.write(PacketType.DATA, "after".getBytes(StandardCharsets.UTF_8));
        pair.pump();
        assertEquals(List.of("in 1 DATA before", "in 1 DATA after"), mine.events("in"), "every message echoed, before and after");
    }

    @Test
    void afterGoAwayNoNewChannelOpensFromEitherSide() {
        pair = StreamPair.active();
        pair.acceptor.goAway(1000, "", "draining");
        pair.pump();
        // The told side refuses locally: the peer would refuse anyway.
        StreamException local = assertInstanceOf(StreamException.class,
                failure(pair.connector.openChannel(ChannelType.ECHO, new RecordingHandler())));
        assertEquals(ErrorCode.GOING_AWAY, local.reason().errorCode());
        assertEquals(0, pair.connector.channels().size());
    }

    @Test
    void anOpenCrossingTheGoAwayIsRejectedWithGoingAway() {
        pair = StreamPair.active();
        // The open leaves the connector before GOAWAY arrives: the acceptor refuses it.
        CompletableFuture<Channel> crossing = pair.connector.openChannel(ChannelType.ECHO, new RecordingHandler());
        pair.acceptor.goAway(1000, "", "draining");
        pair.pump();
        StreamException e = assertInstanceOf(StreamException.class, failure(crossing));
        assertEquals(ErrorCode.GOING_AWAY, e.reason().errorCode());
        assertTrue(pair.connector.active() && pair.acceptor.active(), "a refused open does not end the stream");
    }

    @Test
    void theListenerHearsGoAwayOnceEvenIfSentTwice() {
        pair = StreamPair.active();
        pair.acceptor.goAway(1000, "", "first");
        pair.acceptor.goAway(5, "", "second"); // sent once only
        pair.pump();
        assertEquals("first", done(pair.connector.goingAway()).reason());
    }

    @Test
    void afterTheGraceTheDrainingSideClosesWithGoingAway() {
        pair = StreamPair.active();
        RecordingHandler mine = new RecordingHandler();
        open(pair.connector, ChannelType.ECHO, mine);
        pair.acceptor.goAway(0, "", "draining");
        pair.pump();
        pair.acceptor.close(ErrorCode.GOING_AWAY, "grace period over");
        pair.pump();
        CloseReason seenByPeer = done(pair.connector.closed());
        assertEquals(ErrorCode.GOING_AWAY, seenByPeer.errorCode());
        assertEquals("grace period over", seenByPeer.reason());
        assertEquals(ErrorCode.GOING_AWAY, done(pair.acceptor.closed()).errorCode());
        assertEquals(StreamState.CLOSED, pair.acceptor.state());
    }

    @Test
    void goAwayDuringSetupEndsTheStreamAtOnce() {
        pair = new StreamPair(); // not pumped: the acceptor has no HELLO yet
        pair.acceptor.goAway(1000, "", "draining");
        pair.pump();
        assertEquals(ErrorCode.GOING_AWAY, done(pair.acceptor.closed()).errorCode());
        assertEquals(ErrorCode.GOING_AWAY, done(pair.connector.closed()).errorCode());
        assertFalse(pair.connector.goingAway().isDone());
    }
}
