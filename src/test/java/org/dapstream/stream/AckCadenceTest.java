package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
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
    void channelsThatDeliverEnoughTogetherAreAcknowledgedAtOnce() {
        CompletableFuture<Channel> opened = pair.connector.openChannel(StreamHarness.APP, new RecordingHandler());
        pair.pump();
        Channel second = done(opened);
        Channel secondReceiver = pair.acceptorApp.channels.get(second.id());
        second.retained = new RetainedMessages();
        secondReceiver.retained = new RetainedMessages();
        int half = (int) (Acknowledgements.ACK_BYTES / 2);
        sender.write(PacketType.DATA, new byte[half]);
        second.write(PacketType.DATA, new byte[half]);
        pair.pump(); // no time passes: each channel has half the bytes, the stream all of them
        assertEquals(0, sender.retained.count(), "the first channel's ACK went without the delay");
        assertEquals(0, second.retained.count(), "and the second's");
        assertFalse(pair.acceptor.acks.delayRunning(), "nothing waits for the delay");
    }

    /** Pull mode turned off with messages still held: they go to packetIn first, then the newer ones, in order. */
    @Test
    void heldMessagesGoFirstWhenPullModeEnds() {
        receiver.pullMode(true);
        for (int n = 1; n <= 3; n++) {
            sender.write(PacketType.DATA, ("m" + n).getBytes(StandardCharsets.UTF_8));
        }
        pair.pump();
        receiver.pullMode(false);
        for (int n = 4; n <= 5; n++) {
            sender.write(PacketType.DATA, ("m" + n).getBytes(StandardCharsets.UTF_8));
        }
        pair.pump();
        List<String> in = pair.acceptorApp.events.stream().filter(e -> e.startsWith("in ")).toList();
        int id = receiver.id();
        assertEquals(List.of("in " + id + " DATA m1", "in " + id + " DATA m2", "in " + id + " DATA m3", "in " + id + " DATA m4",
                "in " + id + " DATA m5"), in, "each message once, in the order it arrived");
        assertEquals(5, receiver.delivered);
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
        assertTrue(pair.acceptor.acks.delayRunning(), "the ACK waits for its delay");
        pair.acceptor.abort(ErrorCode.INTERNAL_ERROR, "ended with an ACK waiting");
        pair.pump();
        assertFalse(pair.acceptor.acks.delayRunning(), "the stream's end stopped the delay");
        int bytesBefore = pair.acceptorTransport.committedBytes();
        pair.scheduler.advanceMillis(Acknowledgements.ACK_DELAY_MILLIS * 2);
        pair.pump();
        assertEquals(bytesBefore, pair.acceptorTransport.committedBytes(), "the delay's timer went with the stream: nothing more was written");
        assertEquals(0, sender.retained.lastAck(), "no ACK reached the connector");
    }
}
