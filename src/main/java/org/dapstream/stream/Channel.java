package org.dapstream.stream;

import org.dapstream.crypto.AeadSuite;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The seed's {@code dap_stream_ch_t}: one logical channel of a {@link Stream}, with its type,
 * sequence counters, pull buffer, callbacks ({@link ChannelHandler}) and stats.
 *
 * <p>State is confined to the stream's event loop. {@link #write}, {@link #read()},
 * {@link #close()} and {@link #stats()} may be called from any thread.
 */
public final class Channel {
    /**
     * OPENING: we sent OPEN_CHANNEL and wait for OPEN_ACK. CLOSING: we sent CLOSE/ERROR and wait for the peer's CLOSE.
     * SUSPENDED: open, and its session's connection is gone while the session waits to be resumed
     * (PROTOCOL.md section 32): writes are kept and sent once it is resumed.
     */
    public enum State { OPENING, OPEN, CLOSING, CLOSED, SUSPENDED }

    /** Whether a handler class overrides packetOut; asked once per class. */
    private static final ClassValue<Boolean> OBSERVES_PACKET_OUT = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                return type.getMethod("packetOut", Channel.class, PacketType.class, ByteBuffer.class)
                        .getDeclaringClass() != ChannelHandler.class;
            } catch (NoSuchMethodException | SecurityException e) {
                return true; // cannot tell (e.g. reflection not registered in a native image): observe
            }
        }
    };

    /** Pull mode credits reads back in batches of a quarter of the channel window (and when the inbox empties). */
    private static final int PULL_CREDIT_BATCHES = 4;
    private static final System.Logger LOG = System.getLogger(Channel.class.getName());

    /** The stream carrying it; a resumed session's channel moves to the session's new stream. */
    Stream stream;
    private final int id;
    private final ChannelType type;
    private final boolean openedLocally;
    /** Where this channel's writes enter the stream (its stream's gate); read by writers on any thread. */
    volatile WriteGate gate;
    /** Messages written on other threads, on their way to the channel's loop in order. */
    final Outbox outbox = new Outbox();
    /** Carries the outbox's messages onto the loop of the stream that carries the channel when it runs. */
    final Runnable drainOutbox = () -> gate.drain(this);
    // The seed's seq_id, per direction: next seq to send, next seq expected (from 0 again on a resumed session's new stream).
    int seqOut;
    int seqIn;
    volatile State state;
    ChannelHandler handler;
    /** False when the handler keeps the no-op packetOut: the send path then skips the observer. */
    boolean observesPacketOut;
    CompletableFuture<Channel> opening;
    final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();

    // Stats: written on the loop only; plain fields keep the per-frame cost to an add.
    // stats() from another thread is a monitoring snapshot that may lag.
    long packetsSent;
    long packetsReceived;
    long bytesSent;
    long bytesReceived;

    /** Set when our handler failed: inbound packets are dropped until the peer's CLOSE. */
    boolean handlerFailed;
    /** What we sent when we began closing; reported once the peer's CLOSE answers it. */
    CloseReason closeReasonSent;
    /** Accepted messages that never reached the connection, reported to the handler. */
    final LostWrites lost = new LostWrites();
    private volatile Object attachment;
    /** Compression was negotiated at open: both sides may send COMPRESSED frames. */
    boolean compression;

    /** What the peer lets us send on this channel (new with each stream that carries it). */
    SendWindow send = new SendWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
    /** What we let the peer send on this channel (new with each stream that carries it). */
    ReceiveWindow receive = new ReceiveWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
    final SendQueue queue = new SendQueue();
    final Inbox inbox = new Inbox();
    final ChannelKeys keys = new ChannelKeys();
    /** The fragmented message being received, or null. */
    Reassembly reassembly;
    /** What this side wrote and the peer has not acknowledged; null when the stream did not agree acknowledgements, and on MEDIA channels. */
    RetainedMessages retained;
    /** Messages delivered to the application (acknowledged channels), and whether an ACK for them is due. */
    long delivered;
    boolean ackDue;
    /** Bytes delivered since this channel's last ACK (Acknowledgements.ACK_BYTES). */
    long deliveredSinceAck;
    /** Messages that arrived whole (delivered or held for the application): what a resumption says this side has. */
    long received;
    /** While SUSPENDED: the session's suspension, which keeps what is written until the session resumes. */
    volatile Suspension suspension;
    /** Pull mode: messages taken by read() and not yet counted as delivered on the loop. */
    private final AtomicInteger readUncounted = new AtomicInteger();

    Channel(Stream stream, int id, ChannelType type, ChannelHandler handler, State state, boolean openedLocally) {
        this.stream = stream;
        this.id = id;
        this.type = type;
        this.openedLocally = openedLocally;
        this.gate = stream.gate;
        handler(handler == null ? new ChannelHandler() { } : handler);
        this.state = state;
    }

    public int id() {
        return id;
    }

    public ChannelType type() {
        return type;
    }

    public Stream stream() {
        return stream;
    }

    public Session session() {
        return stream.session();
    }

    public State state() {
        return state;
    }

    /** The seed's {@code is_active}: open on both sides. */
    public boolean active() {
        return state == State.OPEN;
    }

    /** True when this side opened it (odd ids for a connector, even for an acceptor). */
    public boolean openedLocally() {
        return openedLocally;
    }

    /** Next {@code seq_id} this side will send on the channel. */
    public int sendSeq() {
        return seqOut;
    }

    /** Next {@code seq_id} this side expects from the peer. */
    public int receiveSeq() {
        return seqIn;
    }

    /**
     * Moves this channel to {@code next}, the stream that resumed its session (on next's loop):
     * new windows and sequence numbers (the new stream has new keys), the send queue emptied
     * (every message in it is kept and goes again from the store), the inbox as it was.
     */
    void rebind(Stream next) {
        stream = next;
        gate = next.gate;
        seqOut = 0;
        seqIn = 0;
        send = new SendWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
        receive = new ReceiveWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
        reassembly = null;
        // Held messages were credited on the old stream: reading them must not grant the new one credit it never used.
        inbox.readUncredited.set(0);
        inbox.creditTaskPosted.set(false);
        readUncounted.set(0);
    }

    public ChannelHandler handler() {
        return handler;
    }

    /** Replaces the callbacks; takes effect with the next packet. */
    public Channel handler(ChannelHandler handler) {
        this.observesPacketOut = OBSERVES_PACKET_OUT.get(handler.getClass());
        this.handler = handler;
        return this;
    }

    public Object attachment() {
        return attachment;
    }

    /** Per-channel state of the application (the seed's {@code _inheritor}). */
    public Channel attach(Object value) {
        this.attachment = value;
        return this;
    }

    /**
     * {@code dap_stream_ch_set_encryption}: gives this channel keys of its own, derived
     * from {@code key} (32 bytes) and bound to this session; they seal with the stream's
     * suite (AES-256-GCM by default, ChaCha20-Poly1305 if that was chosen). The peer's handler must return
     * the same key from {@link ChannelHandler#encryptionKey}; the future fails with
     * KEY_REJECTED otherwise, and the channel keeps the stream's key. Needs an encrypted stream.
     */
    public CompletableFuture<Void> setEncryption(byte[] key) {
        if (key == null || key.length != AeadSuite.KEY_SIZE) {
            throw new IllegalArgumentException("an AES-256 channel key is " + AeadSuite.KEY_SIZE + " bytes");
        }
        return stream.keys.setChannelKey(this, key);
    }

    /** Gives this channel its own key, derived from the session's secrets (no key to share). */
    public CompletableFuture<Void> setEncryption() {
        return stream.keys.setChannelKey(this, null);
    }

    /** Moves what this side sends on the channel to the next epoch of its own key. */
    public CompletableFuture<Void> rekey() {
        return stream.keys.rekey(this);
    }

    /** "stream" (the stream's keys), "own" (its own keys), or "none" (plaintext stream). */
    public String encryption() {
        if (!stream.encrypted()) {
            return "none";
        }
        return keys.send != null ? "own" : "stream";
    }

    /**
     * {@code dap_stream_ch_packet_write}: queues one packet: DATA of up to
     * {@link FlowConfig#maxMessageSize()} (more than 64 KiB goes as fragments), or CONTROL for
     * the application's own control traffic, up to 64 KiB. It is sent as the peer's credit,
     * the rate limits and the socket allow. The packet is never dropped once accepted (but on
     * a MEDIA channel, whose full queue drops its oldest messages); the return value is the
     * back-pressure signal.
     *
     * @return true when more may be written now; false when this channel's send queue is over
     *         {@link FlowConfig#channelSendBuffer()} or the connection's outbound queue is full:
     *         wait for {@link ChannelHandler#readyToWrite} (or {@link #whenWritable()}) before writing more
     * @throws IllegalStateException when the channel is not open (on the event loop; from
     *         another thread a write that finds the channel closed once it reaches the loop is
     *         reported to {@link ChannelHandler#writesLost})
     * @throws IllegalArgumentException for another packet type or an over-long payload
     */
    public boolean write(PacketType type, ByteBuffer data) {
        return gate.write(this, type, data, null, 0, 0);
    }

    public boolean write(PacketType type, byte[] data) {
        return gate.write(this, type, null, data, 0, data.length);
    }

    public boolean write(PacketType type, byte[] data, int offset, int length) {
        return gate.write(this, type, null, data, offset, length);
    }

    /**
     * Like {@link #write(PacketType, byte[])}, but the stream takes the array instead of copying
     * it: the caller must not change {@code message} after the call (nor reuse it for another
     * message it changes). Where {@code write} keeps a copy (to queue the message, to hand it to
     * the event loop from another thread, to keep it until the peer acknowledges it), the stream
     * keeps this array itself, and the garbage collector frees it once the stream lets it go. An
     * application that builds a new array per message anyway saves a copy of every message;
     * the same array may be given any number of times while nobody changes it.
     *
     * @return the same back-pressure answer as {@code write}
     */
    public boolean give(PacketType type, byte[] message) {
        return gate.give(this, type, message);
    }

    /**
     * Like {@link #write(PacketType, byte[])}, and the future completes when the last frame of
     * the message has gone to the connection (it had credit, its rate allowed it), or fails
     * when it never will (the channel or stream closed first, or a MEDIA channel dropped it).
     * Waiting for each future (or keeping a few outstanding) is back-pressure without callbacks.
     */
    public CompletableFuture<Void> send(PacketType type, byte[] data) {
        return gate.send(this, type, data);
    }

    /**
     * Stops delivering packets to {@link ChannelHandler#packetIn} (push mode): they are held,
     * and not credited, so the peer's sender stops once this channel's window is used up.
     * Other channels go on. {@link #resume()} delivers what was held, in order.
     */
    public void pause() {
        onItsLoop(() -> inbox.paused = true); // on the loop at once; from another thread, with the next task
    }

    public void resume() {
        onItsLoop(this::resumeOnLoop);
    }

    public boolean paused() {
        return inbox.paused;
    }

    /** Message bytes queued on this channel and not yet sent. A monitoring value when read off the loop. */
    public long queuedBytes() {
        return queue.queuedBytes;
    }

    /** This side's receive window on the channel now (bytes), grown from the configured one while the application consumes fast. */
    public long receiveWindow() {
        return receive.window();
    }

    /** Payload bytes the peer lets us send on this channel now. A monitoring value when read off the loop. */
    public long sendCredit() {
        return send.credit;
    }

    /** MEDIA channels: messages dropped from the send queue for fresher ones. */
    public long mediaDropped() {
        return queue.mediaDropped;
    }

    /** True when compression was negotiated for this channel when it opened. */
    public boolean compression() {
        return compression;
    }

    /**
     * A line saying what decides whether a write may go on now (why {@link #write} said false):
     * the state, the channel's and the stream's credit, its send queue, what it keeps for the
     * peer and the session's store, the connection, and what its writers wait on. For
     * diagnostics and logs; its form may change. A monitoring value when read off the loop.
     */
    public String writeState() {
        Suspension s = suspension;
        return this + ": " + gate.describe(this) + (s == null ? "" : ", " + s.describe());
    }

    /** A future that completes on the event loop when a write may go on (at once if it may now). */
    public CompletableFuture<Void> whenWritable() {
        Suspension s = suspension;
        if (s != null && outbox.busy()) {
            // Writes still on their way to the suspension: once they are kept there, the store says.
            return outbox.whenIdle().thenCompose(idle -> whenWritable());
        }
        if (s != null) {
            CompletableFuture<Void> f = s.whenWritable(this);
            if (f != null) {
                return f;
            }
            // A resumption or a cut released s after it was read here: the gate of the stream the channel is on now
            // says (and completes at once if the channel is suspended again, so the writer finds its new suspension).
        }
        return gate.whenWritable(this);
    }

    /**
     * Pull mode: packets are kept in the channel buffer instead of going to
     * {@link ChannelHandler#packetIn}; {@link ChannelHandler#readyToRead} says when some wait.
     * Bytes are credited back to the peer as {@link #read()} takes them, so a reader that
     * stops reading stops the peer's sender at the channel window; other channels go on.
     */
    public Channel pullMode(boolean on) {
        inbox.pullMode = on;
        if (!on) {
            onItsLoop(this::deliverHeld); // what waits goes to packetIn first, in order, before anything newer
        }
        return this;
    }

    public boolean pullMode() {
        return inbox.pullMode;
    }

    /** {@code dap_stream_ch_packet_read}: the next buffered packet, or null when none waits. */
    public Packet read() {
        Packet p;
        synchronized (inbox) { // a message is read and counted, or let go by a cut (dropHeld), never both
            p = inbox.take();
            if (p != null && retained != null) {
                readUncounted.incrementAndGet();
            }
        }
        if (p != null) {
            readConsumed(p.data().length, inbox.count.get() == 0);
        }
        return p;
    }

    /**
     * When this side sends RESUMED for this carried channel, or hands its session over (PROTOCOL.md
     * section 32.8): lets go of the messages held for the application and not yet taken, so that
     * {@link #received} counts exactly what was delivered. They were never delivered, so never
     * acknowledged: the peer still keeps them and sends them again on the new stream. Held messages
     * are always the newest ({@link Inbox#holdsArrivals()}), so what is let go is a whole tail and the count
     * stays a position. Without this, each resumption's fresh window would add to what a channel
     * whose application does not read holds, without bound. Nothing arrives on a suspended channel,
     * so until then the application may still read what it held at the cut.
     */
    void dropHeld() {
        synchronized (inbox) {
            int dropped = 0;
            while (inbox.take() != null) {
                dropped++;
            }
            received -= dropped;
            // Every other message that arrived was delivered: pushed, or read (also while suspended, when reads are not counted).
            delivered = received;
            readUncounted.set(0);
            inbox.readUncredited.set(0); // credit of the old stream's window, which the new stream does not owe
        }
    }

    /** Pull mode: {@code size} bytes were read (any thread); they are credited in batches, and when the inbox empties. */
    private void readConsumed(int size, boolean emptied) {
        long waiting = inbox.readUncredited.addAndGet(size);
        Stream on = stream;
        if ((emptied || waiting >= on.flow.channelWindow() / PULL_CREDIT_BATCHES) && inbox.creditTaskPosted.compareAndSet(false, true)) {
            on.onLoop(() -> {
                inbox.creditTaskPosted.set(false);
                if (stream != on) {
                    return; // the channel moved to a resumed stream meanwhile: its RESUMED counted these reads (dropHeld)
                }
                long read = inbox.readUncredited.getAndSet(0);
                if (read > 0 && state != State.CLOSED && stream.state() == StreamState.ACTIVE) {
                    stream.flow.consumed(this, read, true);
                }
                int taken = readUncounted.getAndSet(0);
                if (taken > 0) {
                    stream.acks.delivered(this, taken, read);
                    stream.acks.flush();
                }
            });
        }
    }

    /** Bytes waiting in the pull buffer. */
    public long bufferedBytes() {
        return inbox.bytes.get();
    }

    /** {@code dap_stream_ch_delete}: closes the channel on both sides; pending inbound packets are still delivered. */
    public CompletableFuture<CloseReason> close() {
        if (outbox.busy()) {
            // Writes from another thread are still on their way: the CLOSE goes behind them (on the loop that has the
            // channel then), and what is written after it behind the CLOSE, where it is refused.
            gate.postClose(this);
            return closeFuture;
        }
        closeHere();
        return closeFuture;
    }

    /** {@link #close()} once nothing written before it travels any more. */
    void closeHere() {
        Suspension s = suspension;
        if (s != null && s.drop(this)) {
            // Its session is away: the channel is not carried over; the peer ends its side when the session resumes.
            stream.onLoop(() -> Suspension.close(List.of(this), CloseReason.of(ErrorCode.NORMAL, "closed while the session was suspended")));
            return;
        }
        onItsLoop(() -> stream.channels.close(this));
    }

    /** Completes with the reason once the channel is closed on both sides, or the stream ended. */
    public CompletableFuture<CloseReason> closed() {
        return closeFuture;
    }

    /**
     * Messages this side accepted on the channel that never reached the connection: queued
     * when the channel or the stream ended, or written from another thread and reaching the
     * event loop after the channel closed. The running total of what
     * {@link ChannelHandler#writesLost} reported (or is about to report).
     */
    public long writesLost() {
        return lost.messages();
    }

    /** Bytes of the {@link #writesLost()} messages that were not sent. */
    public long writesLostBytes() {
        return lost.bytes();
    }

    public ChannelStats stats() {
        return new ChannelStats(packetsSent, packetsReceived, bytesSent, bytesReceived);
    }

    // ---------------------------------------------------------------- behaviour on the loop

    /**
     * Hands a received message to the application, or holds it (pull mode, paused) uncredited
     * until it is read: so a reader that does not read stops its peer at the window.
     *
     * @param credited the bytes were already credited back (reassembly took them); holding them
     *                 then takes that credit back until they are read
     */
    void deliver(PacketType type, ByteBuffer payload, boolean credited) {
        deliver(type, payload, credited, false);
    }

    /** @param held the message comes from the inbox ({@link #deliverHeld}), not from the peer */
    private void deliver(PacketType type, ByteBuffer payload, boolean credited, boolean held) {
        int size = payload.remaining();
        if (handlerFailed) {
            if (!credited) {
                stream.flow.consumed(this, size, false); // dropped: the channel is closing; keep the window open
            }
            return;
        }
        if (held ? inbox.holds() : inbox.holdsArrivals()) {
            byte[] copy = new byte[size];
            payload.get(copy);
            if (credited) {
                stream.flow.unconsumed(this, size);
            }
            boolean wasEmpty = inbox.hold(new Packet(type, copy));
            stream.output.held(); // empty messages take no credit: their count is bounded there
            if (wasEmpty && inbox.pullMode) {
                invoke(() -> handler.readyToRead(this));
            }
            return;
        }
        try {
            handler.packetIn(this, type, payload); // no lambda: this is the per-packet hot path
        } catch (RuntimeException e) {
            handlerFailed(e);
        }
        if (retained != null) {
            stream.acks.delivered(this, 1, size);
        }
        if (!credited) {
            stream.flow.consumed(this, size, true);
        }
    }

    /** {@link #resume()} on the loop: delivers what was held, in order (pull mode leaves it for read()). */
    private void resumeOnLoop() {
        if (!inbox.paused) {
            return;
        }
        inbox.paused = false;
        deliverHeld();
    }

    /**
     * Delivers what the inbox holds, in order, while the channel is not paused (pull mode
     * leaves it for read()). Not while SUSPENDED: the handler's answers belong to a live
     * stream, so the held messages wait for the resumption, which calls this again.
     */
    void deliverHeld() {
        if (inbox.pullMode || inbox.paused) {
            return; // held packets wait for read() as any pulled packet does, or for resume()
        }
        Packet p;
        while (!inbox.paused && state != State.CLOSED && state != State.SUSPENDED && (p = inbox.take()) != null) {
            deliver(p.type(), ByteBuffer.wrap(p.data()), false, true);
        }
        if (state != State.SUSPENDED) {
            stream.acks.flush();
            stream.output.drained();
        }
    }

    /**
     * Runs {@code task} on the event loop of the stream that carries this channel when it runs:
     * at once when that is this thread. A resumption may move the channel to a stream on another
     * loop while the task waits; it then follows the channel there, so the channel's state is
     * only ever touched on the loop that owns it.
     */
    private void onItsLoop(Runnable task) {
        WriteGate at = gate;
        at.onLoop(() -> {
            if (gate == at) {
                task.run();
            } else {
                onItsLoop(task);
            }
        });
    }

    /** Runs a handler callback; a throwing handler closes its own channel with HANDLER_FAILED, nothing more. */
    void invoke(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            handlerFailed(e);
        }
    }

    /** The handler threw: the channel ends with ERROR HANDLER_FAILED; the stream and its other channels go on. */
    void handlerFailed(RuntimeException e) {
        CallbackFailure.log(LOG, "handler of " + this + " failed; closing the channel", e);
        failOnLoop(CloseReason.of(ErrorCode.HANDLER_FAILED, "handler failed: " + e.getClass().getSimpleName()));
    }

    /**
     * Ends this channel with ERROR {@code code} on it (PROTOCOL.md section 10.6): for a service
     * whose peer broke the rules of the channel's own messages. The stream and its other
     * channels go on; what arrives on this channel until the peer's CLOSE is dropped.
     */
    public void fail(ErrorCode code, String reason) {
        CloseReason r = CloseReason.of(code, reason);
        onItsLoop(() -> failOnLoop(r));
    }

    private void failOnLoop(CloseReason reason) {
        if (state == State.OPEN && stream.active()) {
            handlerFailed = true;
            state = State.CLOSING;
            closeReasonSent = reason;
            stream.counters().errorSent(reason.errorCode());
            stream.writer.sendChannelFrame(this, PacketType.ERROR, reason.encode());
        }
    }

    @Override
    public String toString() {
        return "channel " + id + " " + type + " " + state + " of stream " + stream.id();
    }
}
