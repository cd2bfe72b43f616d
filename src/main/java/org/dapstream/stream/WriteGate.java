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
    /** A writer told to wait may go on once the queue it waited on is down to 1/RESUME_DIVISOR of its limit. */
    private static final int RESUME_DIVISOR = 2;
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
                || ch.state != Channel.State.OPEN || stream.closing()) {
            return notOpen(ch, type, buffer, array, offset, length, len);
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
     * A write the fast test turned away: kept when its channel is SUSPENDED (the session waits to
     * be resumed), passed on when the channel moved to a resumed stream meanwhile, refused otherwise.
     */
    private boolean notOpen(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length, int len) {
        boolean wellFormed = writable(type, len) && (array == null || (offset >= 0 && length >= 0 && offset + length <= array.length));
        boolean wasSuspended = ch.state == Channel.State.SUSPENDED;
        if (wellFormed && wasSuspended) {
            byte[] copy = copy(buffer, array, offset, len);
            if (!transport.inLoop() && offLoopBytes.get() > 0) {
                // Writes from this thread are still on their way through the loop: this one goes behind them, in order.
                offLoopBytes.addAndGet(len);
                transport.execute(() -> {
                    offLoopBytes.addAndGet(-len);
                    resent(ch, type, copy);
                });
                return true;
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
            return ch.gate.write(ch, type, buffer, array, offset, length);
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
        boolean fromElsewhere = !transport.inLoop();
        stream.onLoop(() -> {
            if (ch.state != Channel.State.OPEN || stream.closing()) {
                sent.completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED, "cannot write to " + ch));
                if (fromElsewhere && ch.lost.lostLater(len)) {
                    transport.execute(() -> ch.lost.report(ch, "written from another thread after the channel closed"));
                }
                return;
            }
            sendOwned(ch, type, copy, len, sent);
        });
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

    /** Off the loop: {@code copy} is the stream's own (a copy, or the given array), handed to the loop in a task. */
    private boolean writeOffLoop(Channel ch, PacketType type, byte[] copy) {
        int len = copy.length;
        long queued = offLoopBytes.addAndGet(len);
        transport.execute(() -> {
            offLoopBytes.addAndGet(-len);
            if (ch.state == Channel.State.SUSPENDED || (ch.gate != this && ch.state == Channel.State.OPEN)) {
                resent(ch, type, copy); // the channel's session was suspended, or resumed on another stream, meanwhile
            } else if (ch.state == Channel.State.OPEN && !stream.closing()) {
                sendOwned(ch, type, copy, len, null);
            } else if (ch.lost.lostLater(len)) {
                transport.execute(() -> ch.lost.report(ch, "written from another thread after the channel closed"));
            }
            if (ch.queue.writeBlocked && connectionMayResume()) {
                notifyWritable();
            }
        });
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

    /** An off-loop write that reached this loop after its channel was suspended or moved: written again where the channel is now. */
    private void resent(Channel ch, PacketType type, byte[] copy) {
        try {
            ch.write(type, copy);
        } catch (IllegalStateException e) {
            if (ch.lost.lostLater(copy.length)) {
                ch.lost.report(ch, "written from another thread as the channel's session ended");
            }
        }
    }

    CompletableFuture<Void> whenWritable(Channel ch) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        stream.onLoop(() -> {
            if (stream.ended() || ch.gate != this || ch.state == Channel.State.SUSPENDED) {
                // The stream ended (its session suspended) or the channel moved on meanwhile: no waiting here, the
                // writer writes again (a suspended channel keeps what it is given; its suspension says when it is full).
                f.complete(null);
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

    /** The stream ended: nobody waiting to write ever will, but for the writers of suspended channels, who may write (it is kept). */
    void failWaiters(CloseReason reason) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.channel != null && w.channel.state == Channel.State.SUSPENDED) {
                it.remove();
                w.future.complete(null);
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
