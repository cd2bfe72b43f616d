package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Messages a thread writes on a channel reach the peer in the order it wrote them, also while
 * the channel's session is cut and resumed on a stream that runs on another event loop. The
 * test thread is that writer (both streams' transports say it is not their loop) and decides
 * when each loop runs its tasks: the orders in which a loaded machine may run them, made
 * deterministic. What the channel keeps for the peer ({@link RetainedMessages}, numbered as the
 * peer counts them) must hold the messages in the order written.
 */
class OffLoopWriteOrderTest {
    private StreamPair first;
    private StreamPair second;
    /** The stream the session starts on, and the one that resumes it (each on its own loop). */
    private Stream before;
    private Stream after;
    private Channel ch;
    private SessionStore store;
    private int written;

    @BeforeEach
    void openAcknowledgedChannel() {
        first = StreamPair.active();
        second = StreamPair.active();
        before = first.connector;
        after = second.connector;
        CompletableFuture<Channel> opened = before.openChannel(StreamHarness.APP, new RecordingHandler());
        first.pump();
        ch = done(opened);
        // What the handshake's ACKS and RESUMPTION give a channel: its messages kept in the session's store.
        store = new SessionStore(SessionStore.MIN_LIMIT);
        before.acks.agree();
        before.acks.useStore(store);
        after.acks.agree();
        ch.retained = new RetainedMessages();
        writerThread();
    }

    @AfterEach
    void transportsUsedCorrectly() {
        first.assertTransportsUsedCorrectly();
    }

    /** The test thread is neither stream's loop: it writes as an application thread does. */
    private void writerThread() {
        first.connectorTransport.inLoop = false;
        second.connectorTransport.inLoop = false;
    }

    private void write() {
        ch.write(PacketType.DATA, new byte[] {(byte) written++});
    }

    /** On the first stream's loop: the connection is lost, the channel suspended (tasks already queued there wait). */
    private Suspension cut() {
        first.connectorTransport.inLoop = true;
        Suspension s = before.channels.suspendAll(store, first.clock.currentTimeMillis());
        writerThread();
        assertEquals(Channel.State.SUSPENDED, ch.state());
        return s;
    }

    /** On the second stream's loop: it resumes the session and takes the channel (SUSPENDED until the peer's RESUMED). */
    private void takeOver(Suspension s) {
        second.connectorTransport.inLoop = true;
        after.resumption.takeOver(s, s.take());
        writerThread();
    }

    /** On the second stream's loop: the peer's RESUMED says it has none of the channel's messages; the channel runs again. */
    private void peerResumed() throws Exception {
        second.connectorTransport.inLoop = true;
        after.resumption.onResumed(new ControlMessage.Resumed(List.of(new ControlMessage.ChannelReceived(ch.id(), 0))));
        writerThread();
    }

    private List<Integer> keptInOrder() {
        List<Integer> order = new ArrayList<>();
        for (RetainedMessages.Message m : ch.retained.kept()) {
            order.add((int) m.data()[0]);
        }
        return order;
    }

    private void assertKeptInWrittenOrder() {
        List<Integer> expected = new ArrayList<>();
        for (int n = 0; n < written; n++) {
            expected.add(n);
        }
        assertEquals(expected, keptInOrder(), "the peer numbers the messages as the channel keeps them");
    }

    @Test
    void writesStillOnTheOldLoopGoBeforeWritesToTheSuspensionAndTheNewStream() throws Exception {
        write(); // on its way to the first loop when the connection is lost
        Suspension s = cut();
        write(); // the channel is suspended, and the message before it is still on its way
        takeOver(s);
        write(); // the channel is on the second stream now, still suspended
        peerResumed();
        write(); // the channel runs on the second stream
        // The first loop had no time until now (a loaded machine); then the second.
        first.connectorTransport.runPending();
        second.connectorTransport.runPending();
        first.connectorTransport.runPending();
        second.connectorTransport.runPending();
        assertEquals(4, written);
        assertEquals(Channel.State.OPEN, ch.state());
        assertKeptInWrittenOrder();
    }

    @Test
    void theNewLoopRunningFirstTakesNothingAheadOfTheOldLoopsMessages() throws Exception {
        write();
        write();
        Suspension s = cut();
        takeOver(s);
        peerResumed();
        write(); // straight to the second stream, whose loop runs before the first's
        second.connectorTransport.runPending();
        first.connectorTransport.runPending();
        second.connectorTransport.runPending();
        assertKeptInWrittenOrder();
    }

    @Test
    void writesBehindTravellingOnesAreBoundedByTheHighWaterMarkAndTheWriterWaitsForThem() {
        store = new SessionStore(8L * StreamConfig.DEFAULT_WRITE_HIGH_WATER); // room for all: only the high-water mark stops the writer
        write();
        cut();
        // The first loop does not run: each write waits behind the first, on its way, and counts toward the high-water mark.
        int message = 64 * 1024;
        int accepted = 0;
        while (ch.write(PacketType.DATA, message(written++, message))) {
            accepted++;
            assertTrue(accepted * (long) message <= StreamConfig.DEFAULT_WRITE_HIGH_WATER, "write says false at the high-water mark");
        }
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone(), "the writer waits while its messages travel");
        first.connectorTransport.runPending();
        assertTrue(writable.isDone(), "once they are kept by the suspension, the writer goes on");
        assertKeptInWrittenOrder();
    }

    @Test
    void aCloseAfterWritesStillOnTheirWayGoesBehindThemOnTheStreamThatHasTheChannel() throws Exception {
        write(); // on its way to the first loop
        Suspension s = cut();
        takeOver(s);
        peerResumed();
        CompletableFuture<?> closed = ch.close(); // from the writer's thread, while its message still travels
        first.connectorTransport.runPending();
        second.connectorTransport.runPending();
        assertEquals(Channel.State.CLOSING, ch.state(), "the CLOSE went, on the stream that has the channel now");
        assertEquals(0, ch.writesLost(), "the message written before close() went first");
        assertKeptInWrittenOrder();
        assertFalse(closed.isDone(), "it completes when the peer's CLOSE answers");
    }

    @Test
    void writesOnTheirWayCountTowardTheSessionStoresBound() throws Exception {
        // The loop does not run: nothing is kept yet, but what travels to it is the session's all the same.
        int message = 64 * 1024;
        int accepted = 0;
        while (ch.write(PacketType.DATA, message(written++, message))) {
            accepted++;
        }
        assertTrue((accepted + 1) * (long) message <= SessionStore.MIN_LIMIT + message,
                "write says false once what travels passes the store's bound: " + (accepted + 1) + " messages written");
        CompletableFuture<Void> writable = ch.whenWritable();
        first.connectorTransport.runPending();
        assertTrue(store.full(), "kept now, over the bound");
        assertFalse(writable.isDone(), "the writer waits for the peer's acknowledgements");
        first.connectorTransport.inLoop = true;
        before.acks.onAck(new ControlMessage.Ack(ch.id(), written));
        writerThread();
        first.connectorTransport.runPending();
        assertTrue(writable.isDone(), "acknowledged: the writer goes on");
        assertEquals(0, store.bytes());
    }

    private static byte[] message(int n, int size) {
        byte[] m = new byte[size];
        m[0] = (byte) n;
        return m;
    }

    @Test
    void aWriteToTheSuspensionWaitsBehindMessagesStillOnTheirWay() {
        write();
        Suspension s = cut();
        write();
        first.connectorTransport.runPending();
        assertKeptInWrittenOrder();
        assertEquals(2, written);
        assertTrue(s.retainedBytes() >= 2, "both are kept for the peer while the session is away");
    }
}
