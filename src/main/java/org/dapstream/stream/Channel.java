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
    boolean pausedStreamForPull;
    boolean writeBlocked;
    /** Set when our handler failed: inbound packets are dropped until the peer's CLOSE. */
    boolean handlerFailed;
    /** What we sent when we began closing; reported once the peer's CLOSE answers it. */
    CloseReason closeReasonSent;
    /** Writes from other threads that reached the loop after the channel closed (logged too). */
    volatile long writesLost;
    private volatile Object attachment;

    // Its own keys (setEncryption), per direction; null: the stream's keys. On the loop only.
    FrameKey sendKey;
    FrameKey receiveKey;
    /** Completed CHANNEL_KEY exchanges: the generation the next one derives. */
    int keyGeneration;
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
     * {@code dap_stream_ch_packet_write}: queues one packet (DATA, or CONTROL for the
     * application's own control traffic) of at most 64 KiB. The packet is never dropped once
     * accepted; the return value is the back-pressure signal.
     *
     * @return true when more may be written now; false when the stream's outbound queue is
     *         over its high-water mark: wait for {@link ChannelHandler#readyToWrite} (or
     *         {@link #whenWritable()}) before writing more
     * @throws IllegalStateException when the channel is not open (on the event loop; from
     *         another thread a write that finds the channel closed is counted and logged)
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

    /** A future that completes on the event loop when a write may go on (at once if it may now). */
    public CompletableFuture<Void> whenWritable() {
        return stream.whenWritable(this);
    }

    /**
     * Pull mode: packets are kept in the channel buffer instead of going to
     * {@link ChannelHandler#packetIn}; {@link ChannelHandler#readyToRead} says when some wait.
     * When the buffer holds more than the stream's {@code channelBufferSize}, the stream
     * stops reading from the socket until {@link #read()} drains it below half.
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
            pulledCount.decrementAndGet();
            long left = pulledBytes.addAndGet(-p.data().length);
            if (left <= stream.config().channelBufferSize() / 2) {
                stream.pullDrained(this);
            }
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

    /** Packets written from another thread that found the channel closed when they reached the event loop. */
    public long writesLost() {
        return writesLost;
    }

    public ChannelStats stats() {
        return new ChannelStats(packetsSent, packetsReceived, bytesSent, bytesReceived);
    }

    @Override
    public String toString() {
        return "channel " + id + " " + type + " " + state + " of stream " + stream.id();
    }
}
