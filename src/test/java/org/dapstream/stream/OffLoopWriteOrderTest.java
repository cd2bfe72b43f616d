package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Messages a thread writes on a channel reach the peer in the order it wrote them, also while
 * the channel's session is cut and resumed on a stream that runs on another event loop. The
 * test thread is that writer (both streams' transports say it is not their loop) and decides
 * when each loop runs its tasks: the orders in which a loaded machine may run them, made
 * deterministic; where two loops must run at once, a second thread plays the first loop and
 * the test holds the suspension's lock to stop it at a chosen point. What the channel keeps for
 * the peer ({@link RetainedMessages}, numbered as the peer counts them) must hold the messages
 * in the order written. Also: {@code close()} goes behind the writes made before it, and the
 * writers told to wait (by the high-water mark, the session store, a suspension) are woken
 * when, and only when, they may go on.
 */
class OffLoopWriteOrderTest {
    /** How long a test waits for a thread that plays the first loop to reach the suspension's lock (it takes microseconds). */
    private static final long THREAD_WAIT_SECONDS = 10;

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
        store = new SessionStore(SessionStore.MIN_LIMIT);
        ch = first.openKeptChannel(store);
        after.acks.agree();
        writerThread();
    }

    @AfterEach
    void transportsUsedCorrectly() {
        first.assertTransportsUsedCorrectly();
        second.assertTransportsUsedCorrectly();
    }

    /** The test thread is neither stream's loop: it writes as an application thread does. */
    private void writerThread() {
        first.connectorTransport.inLoop = false;
        second.connectorTransport.inLoop = false;
    }

    private boolean write() {
        return ch.write(PacketType.DATA, new byte[] {(byte) written++});
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

    /**
     * The first loop's drain is placing a letter in the suspension (it read SUSPENDED, and waits
     * for the suspension's lock) while the second loop takes the session over and the peer's
     * RESUMED opens the channel there. The letter finds the channel running on another stream:
     * place() reports it lost instead of handing it on; the next letter of the same drain finds
     * the channel OPEN and is sent on the first (dead) stream, from the first loop.
     */
    @Test
    @Timeout(60)
    void aResumptionOnAnotherLoopDuringADrainLosesNoLetterAndSendsNoneOnTheOldStream() throws Exception {
        write(); // 0: on its way to the first loop when the connection is lost
        Suspension s = cut();
        write(); // 1: behind it (the channel is suspended, the outbox busy)
        Thread firstLoop = new Thread(() -> first.connectorTransport.runPending(), "first loop");
        synchronized (s) {
            firstLoop.start();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(THREAD_WAIT_SECONDS);
            while (firstLoop.getState() != Thread.State.BLOCKED && firstLoop.isAlive() && System.nanoTime() - giveUp < 0) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.BLOCKED, firstLoop.getState(), "the drain waits for the suspension's lock in place()");
            // Meanwhile, on the second loop: the resumption takes the channel, and the peer's RESUMED opens it.
            second.connectorTransport.inLoop = true;
            after.resumption.takeOver(s, s.take());
            after.resumption.onResumed(new ControlMessage.Resumed(List.of(new ControlMessage.ChannelReceived(ch.id(), 0))));
            second.connectorTransport.inLoop = false;
        }
        firstLoop.join(TimeUnit.SECONDS.toMillis(THREAD_WAIT_SECONDS));
        assertFalse(firstLoop.isAlive());
        second.connectorTransport.runPending();
        first.connectorTransport.runPending();
        second.connectorTransport.runPending();
        assertEquals(Channel.State.OPEN, ch.state());
        assertEquals("lost 0, kept " + upTo(written), "lost " + ch.writesLost() + ", kept " + keptInOrder(),
                "both letters are kept (and sent) on the stream that has the channel, in order; none is reported lost");
    }

    /**
     * Writer A is between its letter's count and its add (descheduled) when the drain runs out
     * of letters. Writer B's letters still go behind A's counted one (busy() holds), and B's
     * second letter, written to a suspended channel, does not overtake its first.
     */
    @Test
    void aWriterBetweenCountingAndAddingItsLetterKeepsTheOutboxBusyAndOthersInOrder() {
        write(); // 0: writer C, counted and added; the drain is posted
        ch.outbox.counted(); // writer A: counted, not yet added
        first.connectorTransport.runPending(); // the drain places 0 and stops: A's letter is not there yet
        assertTrue(ch.outbox.busy(), "A's letter counts until it is placed");
        assertTrue(write(), "1: writer B, behind A's letter");
        cut();
        write(); // 2: writer B again, to the suspended channel: behind its 1, through the outbox
        // Writer A finishes its post: its letter goes in, and the drain (still posted for B's letters) places it.
        if (ch.outbox.added(new Outbox.Letter(PacketType.DATA, new byte[] {(byte) written++}, null, null, null))) {
            first.connectorTransport.execute(ch.drainOutbox);
        }
        first.connectorTransport.runPending();
        assertFalse(ch.outbox.busy(), "every letter is placed");
        List<Integer> kept = keptInOrder();
        assertEquals(4, kept.size(), kept.toString());
        assertTrue(kept.indexOf(1) < kept.indexOf(2), "writer B wrote 1 before 2, the peer gets " + kept);
    }

    /**
     * close() while a letter travels is deferred until the outbox is idle; a write the same
     * thread makes after close() returned joins the outbox before that and is sent ahead of the
     * CLOSE (a writer that keeps the outbox busy postpones the close indefinitely).
     */
    @Test
    void aWriteAfterCloseReturnedIsNotSentAheadOfTheClose() {
        write(); // 0: travelling
        ch.close();
        ch.write(PacketType.DATA, new byte[] {(byte) 1}); // after close(): must not reach the peer before the CLOSE
        first.connectorTransport.runPending();
        assertEquals(List.of(0), keptInOrder(), "only what was written before close() goes ahead of the CLOSE");
        assertEquals(1, ch.writesLost(), "the write after close() is reported lost");
    }

    /**
     * A writer waits on the suspension (the store is over its bound); a stream takes the session
     * over and then ends with an error that does not suspend the session (no RESUMED came). The
     * channel closes, but the taken suspension is never released: the writer waits forever.
     */
    @Test
    void aWriterWaitingOnATakenSuspensionIsWokenWhenTheResumingStreamEndsForGood() throws Exception {
        Suspension s = cut();
        int message = 64 * 1024;
        while (ch.write(PacketType.DATA, new byte[message])) {
            assertTrue(store.bytes() <= SessionStore.MIN_LIMIT, "write says false at the store's bound");
        }
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone(), "the store is over its bound");
        second.connectorTransport.inLoop = true;
        after.resumption.takeOver(s, s.take());
        after.fail(new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, "the resumed stream fails before the peer's RESUMED"));
        second.connectorTransport.inLoop = false;
        second.connectorTransport.runPending();
        first.connectorTransport.runPending();
        assertEquals(Channel.State.CLOSED, ch.state());
        assertTrue(writable.isDone(), "the channel closed: its waiting writer is woken (its next write says why)");
    }

    /**
     * A writer waits on the suspension because bytes still travelling to the loop count toward
     * the store; those letters belong to a channel that closed meanwhile, so they are lost, not
     * kept, and the store has room again: nothing wakes the writer until the session resumes.
     */
    @Test
    void aWriterWaitingOnTheSuspensionIsWokenWhenTravellingBytesTurnOutLost() throws Exception {
        RecordingHandler other = new RecordingHandler();
        first.connectorTransport.inLoop = true;
        CompletableFuture<Channel> opened = before.openChannel(StreamHarness.APP, other);
        first.connectorTransport.inLoop = false;
        first.pump();
        Channel doomed = done(opened);
        doomed.retained = new RetainedMessages();
        writerThread();
        // Nearly the whole store travels to the loop on the doomed channel.
        int message = 64 * 1024;
        int travelling = 0;
        while (store.bytes() + (travelling + 2L) * message <= SessionStore.MIN_LIMIT) {
            doomed.write(PacketType.DATA, new byte[message]);
            travelling++;
        }
        // The peer closes the doomed channel before the loop ran the drain; then the connection is lost.
        first.connectorTransport.inLoop = true;
        before.channels.onClose(doomed, PacketType.CLOSE, CloseReason.of(ErrorCode.NORMAL, ""));
        first.connectorTransport.inLoop = false;
        assertEquals(Channel.State.CLOSED, doomed.state());
        cut();
        // The other channel's writer fills what is left and is told to wait.
        while (ch.write(PacketType.DATA, new byte[message])) {
            assertTrue(store.full() || store.bytes() <= SessionStore.MIN_LIMIT);
        }
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone(), "the store (with what travels) is over its bound");
        first.connectorTransport.runPending(); // the doomed channel's letters reach the loop: lost, not kept
        assertEquals(travelling, doomed.writesLost());
        assertFalse(store.full(), "what was lost no longer counts: the store has room");
        assertTrue(writable.isDone(), "the writer may go on");
    }

    /**
     * Two channels written from another thread. A's writes take the off-loop bytes to the
     * high-water mark; B's one write passes it, so B is told false and its writer waits for
     * readyToWrite. A's drain places one batch per task and posts the rest behind B's
     * blocked-writer task (which finds the off-loop bytes still above half); the batch that
     * takes them down must wake B's writer too, not only A's (which never waited), or B's
     * readyToWrite never comes though nothing travels any more.
     */
    @Test
    void aDrainThatTakesTheOffLoopBytesDownWakesTheWritersOfOtherChannels() {
        StreamPair plain = StreamPair.active();
        RecordingHandler aHandler = new RecordingHandler();
        RecordingHandler bHandler = new RecordingHandler();
        CompletableFuture<Channel> openA = plain.connector.openChannel(StreamHarness.APP, aHandler);
        CompletableFuture<Channel> openB = plain.connector.openChannel(StreamHarness.APP, bHandler);
        plain.pump();
        Channel a = done(openA);
        Channel b = done(openB);
        plain.connectorTransport.inLoop = false;
        int message = WriteGate.DRAIN_BATCH_BYTES;
        for (int n = 0; n < StreamConfig.DEFAULT_WRITE_HIGH_WATER / message; n++) {
            assertTrue(a.write(PacketType.DATA, new byte[message]), "A stays within the high-water mark");
        }
        assertFalse(b.write(PacketType.DATA, new byte[message]), "B's write passes the high-water mark: B's writer waits");
        plain.connectorTransport.runPending();
        assertEquals(0, plain.connectorTransport.pendingTasks());
        assertTrue(plain.connector.gate.describe(b).contains("off-loop writes 0 of"), plain.connector.gate.describe(b));
        assertEquals(1, bHandler.readyToWrite, "nothing travels any more: B's writer is told it may go on; " + plain.connector.gate.describe(b));
        plain.assertTransportsUsedCorrectly();
    }

    private static List<Integer> upTo(int n) {
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(i);
        }
        return expected;
    }
}
