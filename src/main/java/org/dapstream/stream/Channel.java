package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seed's {@code dap_stream_ch_t}: one logical channel of a {@link Stream}, with its type,
 * sequence counters, pull buffer, callbacks ({@link ChannelHandler}) and stats.
 *
 * <p>State is confined to the stream's event loop. {@link #write}, {@link #read()},
 * {@link #close()} and {@link #stats()} may be called from any thread.
 */
public final class Channel {
    /** OPENING: we sent OPEN_CHANNEL and wait for OPEN_ACK. CLOSING: we sent CLOSE/ERROR and wait for the peer's CLOSE. */
    public enum State { OPENING, OPEN, CLOSING, CLOSED }

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

    private final Stream stream;
    private final int id;
    private final ChannelType type;
    private final boolean openedLocally;
    volatile State state;
    ChannelHandler handler;
    /** False when the handler keeps the no-op packetOut: the send path then skips the observer. */
    boolean observesPacketOut;
    CompletableFuture<Channel> opening;
    final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();

    // The seed's seq_id, per direction: next seq to send, next seq expected.
    int seqOut;
    int seqIn;

    // Stats: written on the loop only; plain fields keep the per-frame cost to an add.
    // stats() from another thread is a monitoring snapshot that may lag.
    long packetsSent;
    long packetsReceived;
    long bytesSent;
    long bytesReceived;

    private volatile boolean pullMode;
    final ConcurrentLinkedQueue<Packet> pulled = new ConcurrentLinkedQueue<>();
    final AtomicLong pulledBytes = new AtomicLong();
    final java.util.concurrent.atomic.AtomicInteger pulledCount = new java.util.concurrent.atomic.AtomicInteger();
    /** pause(): push-mode packets are held in {@link #pulled} instead of delivered. Loop only (plain: read per frame). */
    boolean paused;
    boolean writeBlocked;
    /** Set when our handler failed: inbound packets are dropped until the peer's CLOSE. */
    boolean handlerFailed;
    /** What we sent when we began closing; reported once the peer's CLOSE answers it. */
    CloseReason closeReasonSent;
    /** Accepted messages that never reached the connection, reported to the handler. */
    final LostWrites lost = new LostWrites();
    private volatile Object attachment;

    // Flow control, sending side (event loop only).
    /** Messages waiting for credit, a rate limit or the socket, oldest first. */
    final java.util.ArrayDeque<OutboundMessage> outbound = new java.util.ArrayDeque<>();
    /** Message bytes in {@link #outbound} not yet sent. */
    long queuedBytes;
    /** Payload bytes the peer still lets us send on this channel. */
    long sendCredit = org.dapstream.protocol.FlowWindow.INITIAL_CHANNEL_WINDOW;
    /** Largest write that may skip the queue (no credit or order to wait for); -1 under a rate limit. */
    int directLimit = OutboundMessage.FRAGMENT_DATA;
    /** In the stream's round robin of channels with something to send. */
    boolean inSendRing;
    /** Out of the round robin until a WINDOW_UPDATE for this channel arrives. */
    boolean creditStalled;
    /** Out of the round robin until its rate-limit timer fires. */
    boolean rateWaiting;
    /** Null: no per-channel rate limit. */
    TokenBucket rate;
    /** close() was called with messages still queued: CLOSE goes once they have. */
    boolean closeAfterDrain;
    /** MEDIA messages dropped from the queue for fresher ones. */
    volatile long mediaDropped;
    /** Compression was negotiated at open: both sides may send COMPRESSED frames. */
    boolean compression;
    /** This side's compressor; null when it does not compress on this channel. */
    org.dapstream.compress.AdaptiveCompression compressor;
    /** Payloads shorter than this are never offered to the compressor (its policy's minSize); MAX_VALUE without one. */
    int compressMin = Integer.MAX_VALUE;

    // Flow control, receiving side (event loop only, but readUncredited).
    /** Payload bytes the peer may still send before we grant more; below 0 is a violation. */
    long receiveCredit = org.dapstream.protocol.FlowWindow.INITIAL_CHANNEL_WINDOW;
    /** Consumed bytes not yet granted back; negative while a held reassembled message is unread. */
    long grantPending;
    /** This channel's receive window now: the configured one, grown while the application consumes fast. */
    long receiveWindow = org.dapstream.protocol.FlowWindow.INITIAL_CHANNEL_WINDOW;
    /** A WINDOW_UPDATE goes once this much was consumed: half of {@link #receiveWindow}. */
    long grantThreshold = org.dapstream.protocol.FlowWindow.INITIAL_CHANNEL_WINDOW / 2;
    /** Clock time of the last grant (or of the open): how fast the last half window was consumed. */
    long lastGrantNanos;
    /** The fragmented message being received, or null. */
    Reassembly reassembly;
    /** Pull-mode bytes read and not yet credited to the peer (reads happen on any thread). */
    final AtomicLong readUncredited = new AtomicLong();
    final java.util.concurrent.atomic.AtomicBoolean creditTaskPosted = new java.util.concurrent.atomic.AtomicBoolean();

    // Its own keys (setEncryption), per direction; null: the stream's keys. On the loop only.
    FrameKey sendKey;
    FrameKey receiveKey;
    /** Our CHANNEL_KEY in flight: what it will install once the peer accepts. */
    PendingChannelKey pendingKey;
    /** The peer's accepted CHANNEL_KEY: its frames switch to this at CHANNEL_KEY_ACTIVE. */
    FrameKey nextReceiveKey;

    Channel(Stream stream, int id, ChannelType type, ChannelHandler handler, State state, boolean openedLocally) {
        this.stream = stream;
        this.id = id;
        this.type = type;
        handler(handler == null ? new ChannelHandler() { } : handler);
        this.state = state;
        this.openedLocally = openedLocally;
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
        if (key == null || key.length != 32) {
            throw new IllegalArgumentException("an AES-256 channel key is 32 bytes");
        }
        return stream.setChannelKey(this, key);
    }

    /** Gives this channel its own key, derived from the session's secrets (no key to share). */
    public CompletableFuture<Void> setEncryption() {
        return stream.setChannelKey(this, null);
    }

    /** Moves what this side sends on the channel to the next epoch of its own key. */
    public CompletableFuture<Void> rekey() {
        return stream.rekey(this);
    }

    /** "stream" (the stream's keys), "own" (its own keys), or "none" (plaintext stream). */
    public String encryption() {
        if (!stream.encrypted()) {
            return "none";
        }
        return sendKey != null ? "own" : "stream";
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
        return stream.write(this, type, data, null, 0, 0);
    }

    public boolean write(PacketType type, byte[] data) {
        return stream.write(this, type, null, data, 0, data.length);
    }

    public boolean write(PacketType type, byte[] data, int offset, int length) {
        return stream.write(this, type, null, data, offset, length);
    }

    /**
     * Like {@link #write(PacketType, byte[])}, and the future completes when the last frame of
     * the message has gone to the connection (it had credit, its rate allowed it), or fails
     * when it never will (the channel or stream closed first, or a MEDIA channel dropped it).
     * Waiting for each future (or keeping a few outstanding) is back-pressure without callbacks.
     */
    public CompletableFuture<Void> send(PacketType type, byte[] data) {
        return stream.send(this, type, data);
    }

    /**
     * Stops delivering packets to {@link ChannelHandler#packetIn} (push mode): they are held,
     * and not credited, so the peer's sender stops once this channel's window is used up.
     * Other channels go on. {@link #resume()} delivers what was held, in order.
     */
    public void pause() {
        stream.pauseChannel(this, true);
    }

    public void resume() {
        stream.pauseChannel(this, false);
    }

    public boolean paused() {
        return paused;
    }

    /** Message bytes queued on this channel and not yet sent. A monitoring value when read off the loop. */
    public long queuedBytes() {
        return queuedBytes;
    }

    /** This side's receive window on the channel now (bytes), grown from the configured one while the application consumes fast. */
    public long receiveWindow() {
        return receiveWindow;
    }

    /** Payload bytes the peer lets us send on this channel now. A monitoring value when read off the loop. */
    public long sendCredit() {
        return sendCredit;
    }

    /** MEDIA channels: messages dropped from the send queue for fresher ones. */
    public long mediaDropped() {
        return mediaDropped;
    }

    /** True when compression was negotiated for this channel when it opened. */
    public boolean compression() {
        return compression;
    }

    /** A future that completes on the event loop when a write may go on (at once if it may now). */
    public CompletableFuture<Void> whenWritable() {
        return stream.whenWritable(this);
    }

    /**
     * Pull mode: packets are kept in the channel buffer instead of going to
     * {@link ChannelHandler#packetIn}; {@link ChannelHandler#readyToRead} says when some wait.
     * Bytes are credited back to the peer as {@link #read()} takes them, so a reader that
     * stops reading stops the peer's sender at the channel window; other channels go on.
     */
    public Channel pullMode(boolean on) {
        this.pullMode = on;
        return this;
    }

    public boolean pullMode() {
        return pullMode;
    }

    /** {@code dap_stream_ch_packet_read}: the next buffered packet, or null when none waits. */
    public Packet read() {
        Packet p = pulled.poll();
        if (p != null) {
            int left = pulledCount.decrementAndGet();
            pulledBytes.addAndGet(-p.data().length);
            stream.pullConsumed(this, p.data().length, left == 0);
        }
        return p;
    }

    /** Bytes waiting in the pull buffer. */
    public long bufferedBytes() {
        return pulledBytes.get();
    }

    /** {@code dap_stream_ch_delete}: closes the channel on both sides; pending inbound packets are still delivered. */
    public CompletableFuture<CloseReason> close() {
        stream.closeChannel(this);
        return closeFuture;
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

    @Override
    public String toString() {
        return "channel " + id + " " + type + " " + state + " of stream " + stream.id();
    }
}
