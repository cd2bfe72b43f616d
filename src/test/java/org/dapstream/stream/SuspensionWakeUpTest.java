package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A writer told to wait on a suspended channel ({@code write} said false: the session store is
 * over its bound) is woken once it may write again, however its {@code whenWritable()} and the
 * session's resumption or next cut interleave. {@link Channel#whenWritable()} reads the channel's
 * suspension and then takes its lock; a writer descheduled between the two (or blocked on the
 * lock the resuming loop holds) registers after the resumption released that suspension's
 * writers. The tests hold the suspension's lock while the writer's thread blocks on it, do the
 * resumption (or the cut) meanwhile, and only then let the writer register: the worst order,
 * made deterministic.
 */
class SuspensionWakeUpTest {
    /** Messages of this size, written while suspended, fill the least store on the fifth. */
    private static final int MESSAGE = 64 * 1024;
    private static final int MESSAGES_TO_FILL = (int) (SessionStore.MIN_LIMIT / MESSAGE) + 1;
    /** How long the test waits for the writer's thread to reach the lock (it takes microseconds). */
    private static final long THREAD_WAIT_SECONDS = 10;

    private StreamPair pair;
    private Stream stream;
    private Channel ch;
    private SessionStore store;

    @BeforeEach
    void openAcknowledgedChannel() {
        pair = StreamPair.active();
        stream = pair.connector;
        store = new SessionStore(SessionStore.MIN_LIMIT);
        ch = pair.openKeptChannel(store);
    }

    @AfterEach
    void transportsUsedCorrectly() {
        pair.assertTransportsUsedCorrectly();
    }

    /** The cut, as a lost connection does it; then the writer fills the store and is told to wait. */
    private Suspension cutAndFillStore() {
        Suspension s = stream.channels.suspendAll(store, pair.clock.currentTimeMillis());
        assertEquals(Channel.State.SUSPENDED, ch.state());
        for (int n = 1; n < MESSAGES_TO_FILL; n++) {
            assertTrue(ch.write(PacketType.DATA, new byte[MESSAGE]), "message " + n + " fits the store");
        }
        assertFalse(ch.write(PacketType.DATA, new byte[MESSAGE]), "the store is over its bound: the writer must wait");
        String why = ch.writeState();
        assertTrue(why.contains("store " + store.bytes() + " of " + SessionStore.MIN_LIMIT + " bytes (full)"), why);
        assertTrue(why.contains("SUSPENDED") && why.contains("suspension since"), why);
        return s;
    }

    /**
     * Runs {@code ch.whenWritable()} on a thread of its own, which finds {@code s} on the channel
     * and blocks on its lock, held here while {@code meanwhile} runs (on this thread, the loop).
     * The loop is then left, so the writer's registration queues a task on it, as from any
     * thread but the loop's; the caller runs those tasks.
     */
    private CompletableFuture<Void> whenWritableRacing(Suspension s, ThrowingRunnable meanwhile) throws Exception {
        AtomicReference<CompletableFuture<Void>> registered = new AtomicReference<>();
        Thread writer = new Thread(() -> registered.set(ch.whenWritable()), "writer");
        synchronized (s) {
            writer.start();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(THREAD_WAIT_SECONDS);
            while (writer.getState() != Thread.State.BLOCKED && writer.isAlive() && System.nanoTime() - giveUp < 0) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.BLOCKED, writer.getState(), "the writer waits for the suspension's lock");
            meanwhile.run();
            pair.connectorTransport.inLoop = false;
        }
        writer.join(TimeUnit.SECONDS.toMillis(THREAD_WAIT_SECONDS));
        assertFalse(writer.isAlive(), "whenWritable returned");
        pair.connectorTransport.inLoop = true;
        pair.connectorTransport.runPending();
        return registered.get();
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** What a resumption does on the connector: the stream takes the channels; the peer's RESUMED says it has {@code has} messages. */
    private void resume(Suspension s, long has) throws Exception {
        Suspension.Taken taken = s.take();
        stream.resumption.takeOver(s, taken);
        stream.resumption.onResumed(new ControlMessage.Resumed(List.of(new ControlMessage.ChannelReceived(ch.id(), has))));
    }

    @Test
    @Timeout(30)
    void aWriterThatRegistersAfterTheResumptionReleasedItsSuspensionIsWokenWhenTheStoreEmpties() throws Exception {
        Suspension s = cutAndFillStore();
        // The peer had none of them: all are sent again, and the store stays over its bound after the resumption.
        CompletableFuture<Void> writable = whenWritableRacing(s, () -> resume(s, 0));
        assertEquals(Channel.State.OPEN, ch.state());
        assertEquals(0, ch.queuedBytes(), "the kept messages went again on the new stream (its credit allows them)");
        assertFalse(writable.isDone(), "the store is still over its bound: the writer still waits");

        stream.acks.onAck(new ControlMessage.Ack(ch.id(), MESSAGES_TO_FILL));
        assertEmptiedAndWoken(writable, "the peer acknowledged every message");
    }

    /** After what emptied the store ({@code what}): the waiting writer is woken, and may write. */
    private void assertEmptiedAndWoken(CompletableFuture<Void> writable, String what) {
        pair.connectorTransport.runPending();
        assertEquals(0, store.bytes(), what);
        assertTrue(writable.isDone(), "the writer is woken once " + what);
        assertTrue(ch.write(PacketType.DATA, new byte[MESSAGE]), "and may write");
    }

    @Test
    @Timeout(30)
    void aWriterThatRegistersAfterACutDuringTheResumptionReplacedItsSuspensionIsWoken() throws Exception {
        Suspension s = cutAndFillStore();
        AtomicReference<Suspension> next = new AtomicReference<>();
        // The new stream took the channels and was cut before the peer's RESUMED: a new suspension replaces s.
        CompletableFuture<Void> writable = whenWritableRacing(s, () -> {
            stream.resumption.takeOver(s, s.take());
            next.set(stream.channels.suspendAll(store, pair.clock.currentTimeMillis()));
        });
        assertNotSame(s, next.get());
        assertFalse(writable.isDone(), "the store is still over its bound: the writer waits, now on the channel's new suspension");
        assertTrue(next.get().describe().contains("1 whenWritable waiting"), next.get().describe());

        // That suspension's resumption wakes it, once the peer's RESUMED let the store go.
        resume(next.get(), MESSAGES_TO_FILL);
        assertEmptiedAndWoken(writable, "the peer's RESUMED said it had every message");
    }

    @Test
    @Timeout(30)
    void aResumptionDoesNotWakeAWriterWhileTheStoreIsStillOverItsBound() throws Exception {
        Suspension s = cutAndFillStore();
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone());
        resume(s, 0); // the peer had none: all are sent again, and kept until it acknowledges them
        pair.connectorTransport.runPending();
        assertFalse(writable.isDone(), "woken now, the writer would write one more message past the bound, after every cut");
        stream.acks.onAck(new ControlMessage.Ack(ch.id(), MESSAGES_TO_FILL));
        pair.connectorTransport.runPending();
        assertTrue(writable.isDone(), "the peer's ACK took the store to its resume mark");
    }

    @Test
    @Timeout(30)
    void closingAnotherSuspendedChannelWakesAWriterWaitingOnTheStore() {
        CompletableFuture<Channel> opened = stream.openChannel(StreamHarness.APP, new RecordingHandler());
        pair.pump();
        Channel other = done(opened);
        other.retained = new RetainedMessages();
        Suspension s = stream.channels.suspendAll(store, pair.clock.currentTimeMillis());
        for (int n = 1; n < MESSAGES_TO_FILL; n++) {
            assertTrue(other.write(PacketType.DATA, new byte[MESSAGE]));
        }
        assertFalse(ch.write(PacketType.DATA, new byte[MESSAGE]), "the store is over its bound");
        CompletableFuture<Void> writable = ch.whenWritable();
        assertFalse(writable.isDone());

        other.close(); // not carried over: what it kept is let go
        pair.connectorTransport.runPending();
        assertEquals(MESSAGE, s.retainedBytes(), "only ch's message is kept");
        assertTrue(writable.isDone(), "the store has room again: the writer goes on without waiting for a resumption");
    }
}
