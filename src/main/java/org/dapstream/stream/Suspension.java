package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.SessionState;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A session's channels while its connection is gone and the session waits to be resumed
 * (PROTOCOL.md section 32): the channels that were open at the cut, each with what it wrote and
 * the peer has not acknowledged, and the session's store. The application may go on writing:
 * what it writes is kept, within the store's bound, and sent once the session resumes. Ends in
 * one of two ways: a new stream {@link #take takes} the channels over, or the session expires
 * and they close.
 *
 * <p>Thread-safe: the channels' writers may be on any thread, the stream that suspended them
 * ran on one event loop and the stream that resumes them may run on another. Everything here
 * happens under this object's lock, which also hands the channels' state from one loop to the
 * next.
 */
public final class Suspension {
    /** WAITING: no stream has the channels. TAKEN: a resumed stream has them and waits for the peer's RESUMED. ENDED: expired. */
    private enum Phase { WAITING, TAKEN, ENDED }

    private final List<Channel> channels;
    private final SessionStore store;
    private final long since;
    /** Writers told to wait (the store is over its bound), each with the channel it writes to. */
    private final List<Waiting> writable = new ArrayList<>();
    private Phase phase = Phase.WAITING;
    /**
     * {@link #allRunning()} handed on the writers waiting here: the channels run on a stream
     * again, or a cut during the resumption moved them to a new suspension. Nobody may wait here
     * from then on, or nothing would ever wake them.
     */
    private boolean released;

    Suspension(List<Channel> channels, SessionStore store, long sinceMillis) {
        this.channels = new ArrayList<>(channels);
        this.store = store;
        this.since = sinceMillis;
        store.suspendedIn(this);
        for (Channel ch : channels) {
            ch.suspension = this;
        }
    }

    /** When the connection was lost, epoch milliseconds. */
    public long since() {
        return since;
    }

    /** The channels carried over, in the order they were open. */
    public synchronized List<Channel> channels() {
        return List.copyOf(channels);
    }

    /** Bytes kept for the peer (unacknowledged before the cut, and written since). */
    public synchronized long retainedBytes() {
        return store.bytes();
    }

    /** Its phase, whether its writers were released, and how many wait: for diagnostics. */
    synchronized String describe() {
        return "suspension since " + since + " " + phase + (released ? " (released)" : "") + ", " + writable.size()
                + " whenWritable waiting, store " + store.bytes() + " of " + store.limit() + " bytes";
    }

    /**
     * A write to a suspended channel: kept (the array is owned from now on) to be sent after
     * the resumption. False when the store is over its bound: the writer should wait for
     * {@link #whenWritable(Channel)}; what it writes anyway is kept all the same.
     *
     * @return null when the channel is no longer suspended here (resumed or ended meanwhile)
     */
    synchronized Boolean write(Channel ch, PacketType type, byte[] owned) {
        if (phase == Phase.ENDED || ch.suspension != this || ch.state != Channel.State.SUSPENDED) {
            return null;
        }
        ch.retained.add(type, owned);
        store.kept(owned.length);
        return !store.full();
    }

    /**
     * Completes once {@code ch}'s writer may write again: the store has room, the channels run
     * again, or the session ended.
     *
     * @return null when {@code ch} waits here no more (it runs again, or waits on a newer
     *         suspension): its writer read this suspension from the channel before a resumption
     *         or a cut released it, and waits where the channel is now instead
     */
    synchronized CompletableFuture<Void> whenWritable(Channel ch) {
        if (phase != Phase.ENDED && (released || ch.suspension != this)) {
            return null;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (phase == Phase.ENDED || !store.full()) {
            f.complete(null);
        } else {
            writable.add(new Waiting(ch, f));
        }
        return f;
    }

    /** A writer waiting here and the channel it writes to. */
    private record Waiting(Channel channel, CompletableFuture<Void> future) {
    }

    /** True once its writers were handed on ({@link #allRunning()}): nobody may wait here any more. */
    synchronized boolean released() {
        return released;
    }

    /** The application closed a suspended channel before any stream took it: it is not carried over. */
    synchronized boolean drop(Channel ch) {
        if (phase != Phase.WAITING || !channels.remove(ch)) {
            return false;
        }
        store.released(ch.retained.clear());
        ch.suspension = null;
        if (!store.full()) {
            wakeWriters(); // what the dropped channel kept made room for the others' writers
        }
        return true;
    }

    /**
     * A resumed stream takes the channels over (they stay SUSPENDED, and writes stay kept here,
     * until the peer's RESUMED says what it has).
     *
     * @return the channels and the store, or null when another stream took them or the session expired
     */
    synchronized Taken take() {
        if (phase != Phase.WAITING) {
            return null;
        }
        phase = Phase.TAKEN;
        return new Taken(List.copyOf(channels), store);
    }

    /** What a resuming stream takes over. */
    record Taken(List<Channel> channels, SessionStore store) {
    }

    /**
     * On the resumed stream's loop: the channel runs again. {@code requeue} (which queues what
     * the peer lacks) runs under the lock, so a write from another thread goes either before it,
     * kept here, or after it, through the loop and behind the requeued messages.
     */
    synchronized void running(Channel ch, Runnable requeue) {
        // Open first, so the scheduler sends what is requeued; a writer on another thread that
        // finds the channel open now goes through the loop, behind this task and its requeue.
        ch.state = Channel.State.OPEN;
        ch.suspension = null;
        requeue.run();
    }

    /**
     * Every channel runs again, or a cut during the resumption moved them to a newer suspension:
     * each writer waiting here goes on waiting where its channel is now (the stream's gate, or the
     * newer suspension), and is woken when a write may go on there. Waking them here instead
     * would let each write one more message past a store that is still over its bound: after
     * every cut, without limit.
     */
    void allRunning() {
        List<Waiting> handedOn;
        synchronized (this) {
            released = true;
            handedOn = List.copyOf(writable);
            writable.clear();
        }
        for (Waiting w : handedOn) { // outside the lock: waiting elsewhere may take that suspension's lock
            WriteGate.forward(w.channel().whenWritable(), w.future());
        }
    }

    /**
     * What counted toward the store's bound will never be kept (messages on their way to a
     * channel that closed meanwhile): writers waiting here go on if the store has room now.
     */
    synchronized void roomMade() {
        if (!store.full()) {
            wakeWriters();
        }
    }

    private void wakeWriters() {
        writable.forEach(w -> w.future().complete(null));
        writable.clear();
    }

    /**
     * The session expired (or ended) without a resumption: what the channels kept is let go.
     *
     * @return the channels to close ({@link #close}), or an empty list when a stream took them
     */
    synchronized List<Channel> end() {
        if (phase != Phase.WAITING) {
            return List.of();
        }
        phase = Phase.ENDED;
        for (Channel ch : channels) {
            ch.suspension = null;
            store.released(ch.retained.clear());
        }
        wakeWriters();
        return List.copyOf(channels);
    }

    /**
     * The session moves to another member (PROTOCOL.md section 33): the state of each channel
     * the peer opened, with what it kept, is taken out, and the suspension ends as on
     * {@link #end()}. The channels this side opened stay behind (their handlers cannot move).
     *
     * @return the state and the channels to close, or null when a stream took them or the session expired
     */
    synchronized MovedOut moveOut() {
        if (phase != Phase.WAITING) {
            return null;
        }
        List<SessionState.ChannelState> states = new ArrayList<>(channels.size());
        for (Channel ch : channels) {
            if (ch.openedLocally()) {
                continue;
            }
            ch.dropHeld(); // the next owner's RESUMED counts what was delivered here; the client sends the rest again
            List<SessionState.Message> kept = new ArrayList<>(ch.retained.count());
            for (RetainedMessages.Message m : ch.retained.kept()) {
                kept.add(new SessionState.Message(m.type(), m.data()));
            }
            states.add(new SessionState.ChannelState(ch.id(), ch.type(), ch.compression, ch.delivered, ch.retained.acknowledged(), kept));
        }
        return new MovedOut(states, end());
    }

    /** What {@link #moveOut()} took: the channels' state for the next owner, and the channels to close here. */
    record MovedOut(List<SessionState.ChannelState> states, List<Channel> closing) {
    }

    /** Closes channels {@link #end()} returned, on their old loop: CLOSED, handler told, futures completed. */
    static void close(List<Channel> channels, CloseReason reason) {
        for (Channel ch : channels) {
            ch.state = Channel.State.CLOSED;
            try {
                ch.handler.closed(ch, reason);
            } catch (RuntimeException e) {
                System.getLogger(Suspension.class.getName()).log(System.Logger.Level.WARNING, "closed callback of " + ch + " threw", e);
            }
            ch.closeFuture.complete(reason);
        }
    }
}
