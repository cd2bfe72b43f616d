package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where application writes enter the stream, and the back-pressure they get: validation,
 * the zero-copy fast path (one frame straight from the caller's bytes), queuing, writes from
 * other threads (copied and bounded by the write high-water mark), and waking writers
 * ({@code readyToWrite}, {@code whenWritable}) once the connection and their channel's
 * queue take more. Event-loop confined but for the entry points, which hop onto the loop.
 */
final class WriteGate {
    private static final System.Logger LOG = System.getLogger(WriteGate.class.getName());
    /** A writer told to wait may go on once the queue it waited on is down to 1/RESUME_DIVISOR of its limit. */
    private static final int RESUME_DIVISOR = 2;
    /**
     * A channel's outbox drain places at most about this many bytes per loop task, then lets the
     * tasks behind it run: channels that one thread writes in turn share the connection in turn,
     * as they would if each write were a task of its own, while small messages go in batches.
     */
    static final int DRAIN_BATCH_BYTES = 64 * 1024;
    /** How long a write waits for a suspended channel's suspension while another thread swaps it (a cut, a resumption, an expiry). */
    private static final long SUSPENSION_WAIT_NANOS = 1_000_000_000L;

    private final Stream stream;
    private final StreamTransport transport;
    private final FrameWriter writer;
    /** The stream's send window (flow control's), read per write. */
    private final SendWindow streamSend;
    private final SendScheduler scheduler;
    private final FlowConfig config;
    /** Largest DATA message a writer may hand over; CONTROL packets stay within one frame. */
    private final int maxMessage;
    /** Bytes written from other threads not yet on the loop ({@code dap.stream} write high-water bounds it). */
    private final AtomicLong offLoopBytes = new AtomicLong();
    private final int writeHighWater;
    private final List<Waiter> waiters = new ArrayList<>();
    /** Some channel's writer was told to wait. */
    private boolean blockedWriters;

    WriteGate(Stream stream, StreamTransport transport, FrameWriter writer, FlowControl flow, SendScheduler scheduler,
              StreamConfig config) {
        this.stream = stream;
        this.transport = transport;
        this.writer = writer;
        this.streamSend = flow.send;
        this.scheduler = scheduler;
        this.config = config.flow();
        this.maxMessage = config.flow().maxMessageSize();
        this.writeHighWater = config.writeHighWater();
    }

    boolean write(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length) {
        return write(ch, type, buffer, array, offset, length, false);
    }

    /** {@link Channel#give}: a whole array the stream keeps as it is (queued, handed to the loop, retained) instead of a copy. */
    boolean give(Channel ch, PacketType type, byte[] message) {
        return write(ch, type, null, message, 0, message.length, true);
    }

    /**
     * @param given the caller gave {@code array} (whole) to the stream and never changes it again,
     *              so it is kept itself wherever a write would keep a copy
     */
    private boolean write(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length, boolean given) {
        int len = buffer != null ? buffer.remaining() : length;
        // One combined test keeps this method small enough to inline; rejectWrite says which rule failed.
        if (!writable(type, len) || (array != null && (offset < 0 || length < 0 || offset + length > array.length))
                || ch.state != Channel.State.OPEN || stream.closing() || ch.outbox.busy()) {
            return notOpen(ch, type, buffer, array, offset, length, len, given);
        }
        if (!transport.inLoop()) {
            return writeOffLoop(ch, type, owned(buffer, array, offset, len, given));
        }
        if (writer.inPacketOut) {
            throw new IllegalStateException("packetOut observers must not write");
        }
        // Fast path, kept small so the JIT inlines it: nothing queued before it, credit for it,
        // one frame, no rate limit, too small to compress (directLimit folds those in).
        SendQueue q = ch.queue;
        SendWindow window = ch.send;
        if (len <= q.directLimit && len <= window.credit && len <= streamSend.credit && q.outbound.isEmpty()) {
            window.credit -= len;
            streamSend.credit -= len;
            if (buffer != null) {
                writer.sendFrame(ch, ch.id(), type, buffer, null, buffer.position(), len);
            } else {
                writer.sendFrame(ch, ch.id(), type, null, array, offset, len);
            }
            if (ch.retained != null) {
                return kept(ch, type, buffer, array, offset, len, given);
            }
            if (transport.writeQueueFull()) {
                return blockWriter(ch);
            }
            return true;
        }
        return writeSlow(ch, type, buffer, array, offset, len, given);
    }

    /** What the stream keeps beyond the call: the given array itself, or else a copy. */
    private static byte[] owned(ByteBuffer buffer, byte[] array, int offset, int len, boolean given) {
        return given ? array : copy(buffer, array, offset, len);
    }

    /** The caller may reuse its buffer the moment a write returns: what the stream keeps beyond the call is a copy. */
    private static byte[] copy(ByteBuffer buffer, byte[] array, int offset, int len) {
        if (buffer != null) {
            byte[] copy = new byte[len];
            buffer.duplicate().get(copy);
            return copy;
        }
        return Arrays.copyOfRange(array, offset, offset + len);
    }

    /**
     * A write the fast test turned away: behind the channel's messages still on their way to the
     * loop when it is open, kept when its channel is SUSPENDED (the session waits to be resumed),
     * passed on when the channel moved to a resumed stream meanwhile, refused otherwise.
     */
    private boolean notOpen(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length, int len,
                            boolean given) {
        boolean wellFormed = writable(type, len) && (array == null || (offset >= 0 && length >= 0 && offset + length <= array.length));
        if (wellFormed && ch.state == Channel.State.OPEN && !stream.closing() && ch.outbox.busy()) {
            if (transport.inLoop() && writer.inPacketOut) {
                throw new IllegalStateException("packetOut observers must not write");
            }
            return writeOffLoop(ch, type, owned(buffer, array, offset, len, given)); // behind messages still on their way
        }
        boolean wasSuspended = ch.state == Channel.State.SUSPENDED;
        if (wellFormed && wasSuspended) {
            byte[] copy = copy(buffer, array, offset, len);
            if (ch.outbox.busy()) {
                // Earlier writes are still on their way to a loop: this one goes behind them, in order, and counts
                // toward the same high-water mark (whenWritable waits for them to be placed).
                long queued = offLoopBytes.addAndGet(len);
                post(ch, new Outbox.Letter(type, copy, this, travelling(ch, len), null));
                return queued <= writeHighWater && !storeFull(ch);
            }
            // A cut during a resumption replaces the suspension, and a resumption ends it: try the one there is now.
            long giveUp = System.nanoTime() + SUSPENSION_WAIT_NANOS;
            while (ch.state == Channel.State.SUSPENDED && System.nanoTime() - giveUp < 0) {
                Suspension s = ch.suspension;
                Boolean mayGoOn = s == null ? null : s.write(ch, type, copy);
                if (mayGoOn != null) {
                    return mayGoOn;
                }
                Thread.yield(); // another thread is between two steps of that swap; it takes microseconds unless descheduled
            }
        }
        // Resumed meanwhile: on another stream, or on this one (a resumed stream adopts its channels SUSPENDED and opens
        // them at the peer's RESUMED, which may land between the fast test and the read of wasSuspended above).
        if (wellFormed && (ch.gate != this || (ch.state == Channel.State.OPEN && !stream.closing() && !stream.ended()))) {
            return given ? ch.gate.give(ch, type, array) : ch.gate.write(ch, type, buffer, array, offset, length);
        }
        throw rejectWrite(ch, type, array, offset, length, len);
    }

    /** The fast path on an acknowledged channel: keeps what went (a copy, or the given array), then says whether the writer may go on. */
    private boolean kept(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len, boolean given) {
        stream.acks.keep(ch, type, owned(buffer, array, offset, len, given));
        if (transport.writeQueueFull() || stream.acks.store().full()) {
            return blockWriter(ch);
        }
        return true;
    }

    /** The store of unacknowledged messages is over its bound: writers on acknowledged channels wait. */
    private boolean storeFull(Channel ch) {
        return ch.retained != null && stream.acks.store().full();
    }

    /** What an application may write: DATA up to the largest message, CONTROL within one frame (it is never fragmented). */
    private boolean writable(PacketType type, int len) {
        return type == PacketType.DATA ? len <= maxMessage : type == PacketType.CONTROL && len <= FrameLimits.DEFAULT_MESSAGE_PAYLOAD;
    }

    /** Everything but the fast path: a frame that may be compressed, or a message to queue. */
    private boolean writeSlow(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len, boolean given) {
        ByteBuffer source = buffer != null ? buffer : ByteBuffer.wrap(array, offset, len);
        int from = buffer != null ? buffer.position() : offset;
        if (!sendNow(ch, type, source, from, len)) {
            // Queued: the caller may reuse its buffer the moment we return, so copy (unless it gave it).
            byte[] owned = owned(buffer, array, offset, len, given);
            if (ch.retained != null) {
                stream.acks.keep(ch, type, owned); // the queue and the store share the array: neither changes it
            }
            scheduler.enqueue(ch, new OutboundMessage(type, owned, len, null));
        } else if (ch.retained != null) {
            stream.acks.keep(ch, type, owned(buffer, array, offset, len, given));
        }
        if (ch.handlerFailed) {
            return false; // its packetOut observer threw: the channel is closing
        }
        return writeAccepted(ch);
    }

    /**
     * One frame straight from the caller's bytes (compressed when it pays) when nothing waits
     * ahead of it on the channel, it has credit, fits one frame and no rate limit applies.
     *
     * @return false when it must be queued instead
     */
    private boolean sendNow(Channel ch, PacketType type, ByteBuffer source, int from, int len) {
        SendQueue q = ch.queue;
        if (len > OutboundMessage.FRAGMENT_DATA || q.rate != null || scheduler.streamRate != null || !q.outbound.isEmpty()
                || len > ch.send.credit || len > streamSend.credit) {
            return false;
        }
        ch.send.take(len);
        streamSend.take(len);
        if (len <= q.directLimit) {
            writer.sendFrame(ch, ch.id(), type, source, null, from, len); // calls the observer itself
            return true;
        }
        if (ch.observesPacketOut) {
            RuntimeException failure = writer.observePacketOut(ch, type, source.duplicate(), from, len);
            if (failure != null) {
                ch.handlerFailed(failure); // nothing goes after the channel's ERROR
                return true;
            }
        }
        writer.sendAppFrame(ch, type, source, from, len, -1, 0, false);
        return true;
    }

    private boolean blockWriter(Channel ch) {
        stream.output.check(); // a writer that ignores false is held to the budget too
        if (ch.queue.compressor != null) {
            ch.queue.compressor.writerHeldBack();
        }
        ch.queue.writeBlocked = true;
        blockedWriters = true;
        return false;
    }

    /** write's answer: false (and readyToWrite later) when this channel's writer should wait, or the connection is full. */
    private boolean writeAccepted(Channel ch) {
        if (transport.writeQueueFull() || storeFull(ch) || (ch.queue.queuedBytes > 0 && writerMustWait(ch))) {
            return blockWriter(ch);
        }
        return true;
    }

    /**
     * A channel with queued messages whose writer should stop: the queue is over the send
     * buffer, or it waits for the peer's credit. Nothing moves before the WINDOW_UPDATE then,
     * and every further write would only be copied into the queue and sent later by the slower
     * queued path; stopping the writer at the first queued message keeps a writer that outruns
     * its reader on the zero-copy fast path. MEDIA channels never wait: they drop the oldest.
     */
    private boolean writerMustWait(Channel ch) {
        return !ChannelType.MEDIA.equals(ch.type())
                && (ch.queue.queuedBytes > config.channelSendBuffer() || ch.send.stalled || streamSend.stalled);
    }

    /** The other side of {@link #writerMustWait}: the queue is empty, or down to half the buffer and moving (credit there). */
    private boolean writerMayResume(Channel ch) {
        if (ch.retained != null && !stream.acks.store().mayResume()) {
            return false;
        }
        return ch.queue.queuedBytes == 0 || ChannelType.MEDIA.equals(ch.type())
                || (ch.queue.queuedBytes <= config.channelSendBuffer() / RESUME_DIVISOR && !ch.send.stalled && !streamSend.stalled);
    }

    /** Off-loop writes are down to the resume mark, and the connection takes more. */
    private boolean connectionMayResume() {
        return offLoopBytes.get() <= writeHighWater / RESUME_DIVISOR && !transport.writeQueueFull();
    }

    /** {@link Channel#send}: a write whose future says when the message has gone. */
    CompletableFuture<Void> send(Channel ch, PacketType type, byte[] data) {
        int len = data.length;
        if (!writable(type, len)) {
            throw rejectWrite(ch, type, data, 0, len, len);
        }
        CompletableFuture<Void> sent = new CompletableFuture<>();
        byte[] copy = data.clone();
        if (transport.inLoop() && !writer.inPacketOut && !ch.outbox.busy()) {
            if (ch.state != Channel.State.OPEN || stream.closing()) {
                sent.completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED, "cannot write to " + ch));
            } else {
                sendOwned(ch, type, copy, len, sent);
            }
        } else {
            post(ch, new Outbox.Letter(type, copy, null, null, sent)); // behind every write still on its way, in order
        }
        return sent;
    }

    /** On the loop: a message whose array this side owns (no copy needed to queue it). */
    private void sendOwned(Channel ch, PacketType type, byte[] data, int len, CompletableFuture<Void> sent) {
        if (ch.retained != null) {
            stream.acks.keep(ch, type, data);
        }
        if (!sendNow(ch, type, ByteBuffer.wrap(data), 0, len)) {
            scheduler.enqueue(ch, new OutboundMessage(type, data, len, sent));
        } else if (sent != null) {
            sent.complete(null);
        }
    }

    /**
     * Off the loop (or behind messages still travelling): {@code copy} is the stream's own (a
     * copy, or the given array), handed to the loop through the channel's {@link Outbox}.
     */
    private boolean writeOffLoop(Channel ch, PacketType type, byte[] copy) {
        int len = copy.length;
        long queued = offLoopBytes.addAndGet(len);
        post(ch, new Outbox.Letter(type, copy, this, travelling(ch, len), null));
        // The channel's own send queue counts too (as last seen from this thread), or a writer
        // on another thread fills it without bound while the peer grants no credit.
        boolean channelFull = (ch.queue.queuedBytes > config.channelSendBuffer() && !ChannelType.MEDIA.equals(ch.type()))
                || storeFull(ch);
        if (queued > writeHighWater || channelFull) {
            transport.execute(() -> {
                ch.queue.writeBlocked = true;
                blockedWriters = true;
                // The queued writes may all have run already: then no later task would wake the writer.
                if (connectionMayResume()) {
                    notifyWritable();
                }
            });
            return false;
        }
        return true;
    }

    /** Completes {@code to} as {@code from} completes: a writer's wait, handed on to where its channel is now. */
    static void forward(CompletableFuture<Void> from, CompletableFuture<Void> to) {
        from.whenComplete((unused, failure) -> {
            if (failure != null) {
                to.completeExceptionally(failure);
            } else {
                to.complete(null);
            }
        });
    }

    /** Runs {@code task} on this gate's loop (at once when on it). */
    void onLoop(Runnable task) {
        stream.onLoop(task);
    }

    /** An acknowledged channel's message sets out for the loop: it counts toward the session store's bound from now on. */
    private SessionStore travelling(Channel ch, int len) {
        if (ch.retained == null) {
            return null;
        }
        SessionStore store = stream.acks.store();
        store.travelling(len);
        return store;
    }

    /** Posts a letter to the channel's outbox; the first of a batch schedules the drain, here (it follows the channel if it moved). */
    private void post(Channel ch, Outbox.Letter letter) {
        if (ch.outbox.post(letter)) {
            transport.execute(ch.drainOutbox);
        }
    }

    /** {@code bytes} written from other threads and counted here reached a loop: they no longer count toward the high-water mark. */
    void arrived(long bytes) {
        offLoopBytes.addAndGet(-bytes);
    }

    /** {@link Channel#close()} behind the messages still travelling: the CLOSE goes after them, and what is written after it is refused. */
    void postClose(Channel ch) {
        post(ch, Outbox.Letter.close());
    }

    /**
     * On some loop: places the channel's travelling messages, oldest first, on the loop of the
     * stream that carries the channel now (a resumption may have moved it since they were
     * written, or moves it while this runs): sent or queued while it is open, kept by its
     * suspension while its session is away, reported lost once it is closed.
     */
    void drain(Channel ch) {
        if (!transport.inLoop()) {
            transport.execute(ch.drainOutbox); // this is the channel's gate now: the letters follow it to its loop
            return;
        }
        Outbox box = ch.outbox;
        long bytes = 0;
        int placed = 0;
        // What the placed letters counted, taken off once per task: the writers' counters are shared with their
        // threads, and one update per letter would make each message move their cache lines between the cores.
        Outbox.Counts counted = new Outbox.Counts();
        while (true) {
            if (bytes >= DRAIN_BATCH_BYTES) {
                transport.execute(ch.drainOutbox); // the rest after what other channels' writers queued meanwhile
                break;
            }
            Outbox.Letter letter = box.next();
            if (letter == null) {
                if (box.stopDraining()) {
                    break;
                }
                continue;
            }
            boolean here;
            try {
                here = place(ch, letter);
            } catch (RuntimeException e) {
                // A bug must not leave the outbox busy for good (every later write behind a letter never placed).
                LOG.log(System.Logger.Level.ERROR, "placing a message written on another thread on " + ch + " failed", e);
                lost(ch, letter);
                here = true;
            }
            if (!here) {
                box.putBack(letter); // a resumption moved the channel meanwhile: this letter and the rest follow it there
                transport.execute(ch.drainOutbox);
                break;
            }
            bytes += letter.data().length;
            counted.add(letter);
            placed++;
        }
        counted.settle(); // kept by now, or lost: counted as such
        box.placed(placed);
        if ((blockedWriters || !waiters.isEmpty()) && connectionMayResume()) {
            notifyWritable(); // the off-loop bytes went down: any channel's writer told to wait for them may go on
        }
    }

    /**
     * One travelling message, on this gate's loop.
     *
     * @return false when it cannot be placed here: the channel runs on another stream now, or its
     *         session resumed while this read it suspended (the drain that follows it places it)
     */
    private boolean place(Channel ch, Outbox.Letter letter) {
        // The state before the gate: a resumption gives the channel its new gate before it opens it, so an OPEN
        // channel whose gate is still this one runs on this stream, whose loop this is.
        Channel.State state = ch.state;
        if (ch.gate != this) {
            return false;
        }
        if (letter.isClose()) {
            ch.closeHere();
            return true;
        }
        if (state == Channel.State.OPEN && !stream.closing()) {
            sendOwned(ch, letter.type(), letter.data(), letter.data().length, letter.sent());
            return true;
        }
        if (state == Channel.State.SUSPENDED && letter.sent() == null) {
            Suspension s = ch.suspension;
            if (s != null && s.write(ch, letter.type(), letter.data()) != null) {
                return true; // kept for the peer: it goes once the session resumes
            }
            if (ch.state == Channel.State.OPEN) {
                return false; // the session resumed between the two reads: placed where the channel runs now
            }
        }
        lost(ch, letter);
        return true;
    }

    /** A travelling message whose channel closed: reported lost (its send future fails). */
    private void lost(Channel ch, Outbox.Letter letter) {
        if (letter.isClose()) {
            return;
        }
        if (letter.sent() != null) {
            letter.sent().completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED, "cannot write to " + ch));
        }
        if (ch.lost.lostLater(letter.data().length)) {
            transport.execute(() -> ch.lost.report(ch, "written from another thread after the channel closed"));
        }
        if (letter.countedIn() != null) {
            // It counted toward the store's bound and will never be kept: writers of the session's other channels,
            // waiting on its suspension, may have room now.
            Suspension away = letter.countedIn().suspension();
            if (away != null) {
                transport.execute(away::roomMade); // after the drain has taken its bytes off
            }
        }
    }

    CompletableFuture<Void> whenWritable(Channel ch) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        stream.onLoop(() -> {
            Suspension s = ch.suspension;
            if (ch.gate != this || (ch.state == Channel.State.SUSPENDED && s != null && !s.released())) {
                // The channel moved on meanwhile (a resumed stream, or its session's suspension): the writer waits there. Waking
                // it now would let it write one more message past a store that may still be over its bound.
                forward(ch.whenWritable(), f);
                return;
            }
            if (stream.ended() || ch.state == Channel.State.SUSPENDED || ch.state == Channel.State.CLOSED) {
                f.complete(null); // the channel is ending or ended: the writer's next write says so
                return;
            }
            Waiter w = new Waiter(ch, f);
            if (w.mayGo()) {
                f.complete(null);
            } else {
                waiters.add(w);
            }
        });
        return f;
    }

    /** A whenWritable future and the channel whose queue it waits on. */
    private final class Waiter {
        final Channel channel;
        final CompletableFuture<Void> future;

        Waiter(Channel channel, CompletableFuture<Void> future) {
            this.channel = channel;
            this.future = future;
        }

        boolean mayGo() {
            return !transport.writeQueueFull() && offLoopBytes.get() <= writeHighWater
                    && (channel == null || writerMayResume(channel));
        }
    }

    private void completeWaiters() {
        List<Waiter> ready = null;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.mayGo()) {
                it.remove();
                if (ready == null) {
                    ready = new ArrayList<>();
                }
                ready.add(w);
            }
        }
        if (ready != null) {
            ready.forEach(w -> w.future.complete(null));
        }
    }

    /**
     * The stream ended: nobody waiting to write ever will, but for the writers of suspended
     * channels, who wait on the session's suspension from now on (what they write is kept).
     */
    void failWaiters(CloseReason reason) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.channel != null && w.channel.state == Channel.State.SUSPENDED) {
                it.remove();
                forward(w.channel.whenWritable(), w.future);
            }
        }
        waiters.forEach(w -> w.future.completeExceptionally(new StreamException(reason)));
        waiters.clear();
    }

    /** The connection took its queue down (or off-loop writes drained): queued frames go, then writers wake. */
    void notifyWritable() {
        stream.output.drained();
        scheduler.pump(); // queued frames first: they were written before anything a woken writer adds
        if (!waiters.isEmpty()) {
            completeWaiters();
        }
        if (!blockedWriters) {
            return;
        }
        blockedWriters = false;
        for (Channel ch : stream.channels.all()) {
            if (ch.queue.writeBlocked) {
                if (!writerMayResume(ch) || transport.writeQueueFull()) {
                    blockedWriters = true; // still full: woken by the pump as its queue goes
                    continue;
                }
                ch.queue.writeBlocked = false;
                if (ch.state == Channel.State.OPEN) {
                    ch.invoke(() -> ch.handler.readyToWrite(ch));
                }
            }
        }
    }

    /** readyToWrite for a channel that reported back-pressure, once its queue is at half and the connection takes more. */
    void wakeWriter(Channel ch) {
        if (ch.queue.writeBlocked && writerMayResume(ch) && connectionMayResume()) {
            ch.queue.writeBlocked = false;
            if (ch.state == Channel.State.OPEN) {
                ch.invoke(() -> ch.handler.readyToWrite(ch));
            }
        }
        if (!waiters.isEmpty()) {
            completeWaiters();
        }
    }

    /**
     * What decides whether {@code ch}'s writer may write now, and whether a waiting one is woken:
     * credit, queue, kept messages and the session's store, the connection, and this gate's
     * waiters. For diagnostics; read off the loop it is a snapshot that may lag.
     */
    String describe(Channel ch) {
        SessionStore store = stream.acks.store();
        RetainedMessages kept = ch.retained;
        return "channel credit " + ch.send.credit + (ch.send.stalled ? " (stalled)" : "")
                + ", stream credit " + streamSend.credit + (streamSend.stalled ? " (stalled)" : "")
                + ", queued " + ch.queue.queuedBytes + " of " + config.channelSendBuffer() + " bytes"
                + (ch.queue.writeBlocked ? ", writer told to wait" : "")
                + ", kept " + (kept == null ? "nothing (not acknowledged)" : kept.count() + " messages (" + kept.bytes() + " bytes)")
                + ", store " + store.bytes() + " of " + store.limit() + " bytes" + (store.full() ? " (full)" : store.mayResume() ? "" : " (above half)")
                + (transport.writeQueueFull() ? ", connection full" : "")
                + ", off-loop writes " + offLoopBytes.get() + " of " + writeHighWater + " bytes"
                + (ch.outbox.busy() ? " (some of this channel's on their way)" : "")
                + ", " + waiters.size() + " whenWritable waiting on " + stream + (ch.gate == this ? "" : " (no longer the channel's)");
    }

    private RuntimeException rejectWrite(Channel ch, PacketType type, byte[] array, int offset, int length, int len) {
        if (type != PacketType.DATA && type != PacketType.CONTROL) {
            return new IllegalArgumentException("applications write DATA or CONTROL packets, not " + type);
        }
        if (type == PacketType.DATA && len > maxMessage) {
            return new IllegalArgumentException("DATA message of " + len + " bytes exceeds this stream's maxMessageSize of "
                    + maxMessage + " bytes");
        }
        if (type == PacketType.CONTROL && len > FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            return new IllegalArgumentException("CONTROL packet of " + len + " bytes exceeds the " + FrameLimits.DEFAULT_MESSAGE_PAYLOAD
                    + "-byte frame payload (CONTROL is never fragmented)");
        }
        if (array != null && (offset < 0 || length < 0 || offset + length > array.length)) {
            return new IndexOutOfBoundsException("offset " + offset + " length " + length + " array " + array.length);
        }
        return new IllegalStateException("cannot write to " + ch + (stream.closing() ? " (stream closing)" : ""));
    }
}
