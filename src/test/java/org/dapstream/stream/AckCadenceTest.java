package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

/**
 * When a receiver acknowledges (PROTOCOL.md section 28.2): a channel's ACK goes at the end of
 * the batch of input once the channel delivered {@link Acknowledgements#ACK_BYTES} since its
 * last ACK, otherwise {@link Acknowledgements#ACK_DELAY_MILLIS} after it delivered, as one
 * cumulative ACK for everything delivered meanwhile; never after the channel's CLOSE, nor after
 * the stream ended. Two engines back to back on one manual clock, so the delay is exact.
 */
class AckCadenceTest {
    private StreamPair pair;
    /** The connector's side of the channel: what it wrote is kept until the acceptor's ACK. */
    private Channel sender;
    /** The acceptor's side, which delivers to its application and acknowledges. */
    private Channel receiver;

    @BeforeEach
    void openAcknowledgedChannel() {
        pair = StreamPair.active();
        CompletableFuture<Channel> opened = pair.connector.openChannel(StreamHarness.APP, new RecordingHandler());
        pair.pump();
        sender = done(opened);
        receiver = pair.acceptorApp.channels.get(sender.id());
        // What the handshake's ACKS gives both sides' channels (the pair runs plaintext, which never agrees it).
        for (Stream s : new Stream[] {pair.connector, pair.acceptor}) {
            s.acks.agree();
        }
        sender.retained = new RetainedMessages();
        receiver.retained = new RetainedMessages();
    }

    @AfterEach
    void transportsUsedCorrectly() {
        pair.assertTransportsUsedCorrectly();
    }

    @Test
    void smallMessagesAreAcknowledgedTogetherOnceTheDelayIsUp() {
        for (int batch = 0; batch < 3; batch++) {
            assertTrue(sender.write(PacketType.DATA, new byte[100]));
            pair.pump(); // a batch of input each: delivered, not acknowledged yet
            pair.scheduler.advanceMillis(1);
        }
        assertEquals(3, receiver.delivered);
        assertEquals(3, sender.retained.count(), "no ACK before the delay: all three are still kept");
        pair.scheduler.advanceMillis(Acknowledgements.ACK_DELAY_MILLIS); // the first delivery was 3 ms ago: 5 ms is up
        pair.pump();
        assertEquals(0, sender.retained.count(), "one ACK let go of all three");
        assertEquals(3, sender.retained.lastAck(), "the ACK was cumulative: delivered 3");
        assertEquals(0, pair.connector.unacknowledgedBytes());
    }

    @Test
    void enoughBytesAreAcknowledgedAtTheEndOfTheirBatch() {
        int message = 64 * 1024;
        int messages = (int) (Acknowledgements.ACK_BYTES / message);
        for (int n = 0; n < messages; n++) {
            sender.write(PacketType.DATA, new byte[message]);
        }
        pair.pump(); // no time passes: only the byte count can have sent the ACK
        assertEquals(messages, receiver.delivered);
        assertEquals(0, sender.retained.count(), Acknowledgements.ACK_BYTES + " bytes delivered: acknowledged without waiting");
        assertEquals(messages, sender.retained.lastAck());
    }

    @Test
    void noWaitingAckFollowsTheChannelsClose() {
        sender.write(PacketType.DATA, new byte[10]);
        pair.pump();
        assertEquals(1, sender.retained.count(), "delivered, its ACK waiting for the delay");
        receiver.close();
        pair.pump();
        assertEquals(Channel.State.CLOSED, sender.state(), "the acceptor's CLOSE arrived");
        assertEquals(0, pair.connector.unacknowledgedBytes(), "the channel's end let go of what it kept");
        int bytesBefore = pair.acceptorTransport.committedBytes();
        pair.scheduler.advanceMillis(Acknowledgements.ACK_DELAY_MILLIS * 2);
        pair.pump();
        assertEquals(bytesBefore, pair.acceptorTransport.committedBytes(), "no ACK after the channel's CLOSE");
        assertTrue(pair.connector.active() && pair.acceptor.active(), "the stream goes on");
    }

    @Test
    void noAckGoesAfterTheStreamEnded() {
        sender.write(PacketType.DATA, new byte[10]);
        pair.pump();
        pair.acceptor.abort(ErrorCode.INTERNAL_ERROR, "ended with an ACK waiting");
        pair.pump();
        int bytesBefore = pair.acceptorTransport.committedBytes();
        pair.scheduler.advanceMillis(Acknowledgements.ACK_DELAY_MILLIS * 2);
        pair.pump();
        assertEquals(bytesBefore, pair.acceptorTransport.committedBytes(), "the delay's timer went with the stream: nothing more was written");
        assertEquals(0, sender.retained.lastAck(), "no ACK reached the connector");
    }
}
