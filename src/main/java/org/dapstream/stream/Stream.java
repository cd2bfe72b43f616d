package org.dapstream.stream;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.FrameSink;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seed's {@code dap_stream_t}: one connection carrying many channels. It is the
 * protocol engine between a {@link StreamTransport} (bytes) and {@link Channel}s (packets):
 * setup, channel open/close, sequence checks, keepalive, stats, tracing and errors.
 *
 * <p>Everything here runs on the stream's event loop; public methods called from another
 * thread hop onto it. Any protocol violation by the peer ends the stream with an ERROR
 * frame whose code says what was wrong, and touches nothing outside this stream.
 */
public final class Stream {
    private static final System.Logger LOG = System.getLogger(Stream.class.getName());
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final int FEATURES_V1 = 0;
    /** Channel ids one side can open: the odd (or even) numbers of 1..65535. */
    private static final int IDS_PER_SIDE = 32768;

    private final int id = IDS.incrementAndGet();
    private final StreamRole role;
    private final StreamConfig config;
    private final StreamTransport transport;
    private final StreamClock clock;
    private final ChannelRegistry services;
    private final Sessions sessions;
    private final NodeAddress localNode;
    private final StreamCounters counters;
    private final StreamListener listener;
    private final FrameDecoder decoder;
    private final FrameSink sink = this::onFrame;
    private final ChannelTable channels = new ChannelTable();
    /** Ids of channels the peer or we opened at some time, to tell CHANNEL_CLOSED from UNKNOWN_CHANNEL. */
    private final BitSet everOpened = new BitSet();
    private final CompletableFuture<Stream> ready = new CompletableFuture<>();
    private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();
    private final AtomicLong offLoopBytes = new AtomicLong();
    private final long createTime;

    private volatile StreamState state = StreamState.SETUP;
    private volatile boolean closing;
    /** The CLOSE we sent for the stream; reported once the peer's CLOSE answers it. */
    private CloseReason closeReasonSent;
    private volatile Session session;
    private volatile NodeAddress node = NodeAddress.NONE;
    private boolean primary;
    private KeepAlive keepAlive;
    private int nextChannelId;
    private int seqOut;
    private int seqIn;
    private int pauseRequests;
    private boolean readSinceTick;
    private boolean wroteSinceTick;
    private boolean blockedWriters;
    private boolean inPacketOut;
    /** The channel of the last frame received: consecutive frames mostly share one. */
    private Channel lastReceiver;
    private StreamTransport.Cancellable ticker;
    private StreamTransport.Cancellable deadline;
    private final List<CompletableFuture<Void>> writableWaiters = new ArrayList<>();

    // Stats: written on the loop only (see Channel for why they are plain fields).
    private long packetsSent;
    private long packetsReceived;
    private long bytesSent;
    private long bytesReceived;

    /**
     * @param services handlers for channel types the peer opens (null: refuse every open)
     * @param sessions where an acceptor registers the session of a new stream (null on a connector)
     */
    public Stream(StreamRole role, StreamConfig config, StreamTransport transport, StreamClock clock,
                  ChannelRegistry services, Sessions sessions, NodeAddress localNode,
                  StreamCounters counters, StreamListener listener) {
        this.role = role;
        this.config = config;
        this.transport = transport;
        this.clock = clock;
        this.services = services;
        this.sessions = sessions;
        this.localNode = localNode;
        this.counters = counters;
        this.listener = listener == null ? StreamListener.NONE : listener;
        this.decoder = new FrameDecoder(config.maxFramePayload());
        this.nextChannelId = role.firstChannelId();
        this.createTime = clock.currentTimeMillis();
        if (role == StreamRole.ACCEPTOR && sessions == null) {
            throw new IllegalArgumentException("an accepting stream needs a session registry");
        }
    }

    // ---------------------------------------------------------------- life cycle

    /** Starts timers and, on a connector, sends HELLO. Call once, on the loop, when connected. */
    public void start() {
        counters.streamOpened(this);
        long now = clock.nanoTime();
        keepAlive = newKeepAlive(config.keepAliveInterval().toNanos(), now);
        deadline = transport.after(config.setupTimeout().toMillis(), this::setupDeadline);
        ticker = transport.every(KeepAlive.tickMillis(config.keepAliveInterval().toNanos(),
                config.keepAliveTimeout().toNanos()), this::tick);
        if (role == StreamRole.CONNECTOR) {
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.Hello(
                    ControlMessage.PROTOCOL_VERSION, FEATURES_V1, localNode)));
        }
    }

    /** Completes when setup is done (a connector has its WELCOME); fails if the stream ends first. */
    public CompletableFuture<Stream> ready() {
        return ready;
    }

    /** Completes with the reason when the stream has ended. */
    public CompletableFuture<CloseReason> closed() {
        return closeFuture;
    }

    /** Bytes from the connection; the buffer is lent for this call. */
    public void onBytes(ByteBuffer bytes) {
        readSinceTick = true;
        try {
            decoder.feed(bytes, sink);
        } catch (ProtocolException e) {
            fail(e);
        } catch (RuntimeException e) {
            // A bug of ours, not the peer's: end this stream only, and say so in the log.
            LOG.log(System.Logger.Level.ERROR, "internal error on " + this, e);
            fail(new ProtocolException(ErrorCode.INTERNAL_ERROR, "internal error"));
        }
    }

    /** The connection is gone (the peer closed it, or the network failed). */
    public void onTransportClosed() {
        if (state != StreamState.CLOSED) {
            finish(CloseReason.of(ErrorCode.CONNECTION_LOST, "connection closed without CLOSE"));
        }
    }

    /**
     * The connection's outbound queue went below its low-water mark. The transport may say
     * so from inside one of our own writes (a flush can drain synchronously), so the
     * writers are woken in a task of their own, never in the middle of a frame.
     */
    public void onWritable() {
        transport.execute(this::notifyWritable);
    }

    /** {@code dap_stream_delete}: CLOSE to the peer, then the connection ends once it answers (or the keepalive timeout passes). */
    public void close() {
        onLoop(() -> closeLocally(CloseReason.of(ErrorCode.NORMAL, "closed by application")));
    }

    /** Ends the stream at once with an ERROR of {@code code}; for operators (admin API) and shutdown. */
    public void abort(ErrorCode code, String reason) {
        onLoop(() -> fail(new ProtocolException(code, reason)));
    }

    // ---------------------------------------------------------------- channels

    /**
     * {@code dap_stream_ch_new}: opens a channel of {@code type}. Completes when the peer
     * acknowledges; fails with {@link StreamException} when it refuses (no handler for the
     * type, too many channels) or the stream ends.
     */
    public CompletableFuture<Channel> openChannel(ChannelType type, ChannelHandler handler) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        onLoop(() -> openOnLoop(type, handler, result));
        return result;
    }

    private void openOnLoop(ChannelType type, ChannelHandler handler, CompletableFuture<Channel> result) {
        if (state != StreamState.ACTIVE || closing) {
            result.completeExceptionally(new StreamException(ErrorCode.STREAM_NOT_READY, "stream " + id + " is " + describeState()));
            return;
        }
        if (type.reserved()) {
            result.completeExceptionally(new IllegalArgumentException("channel type " + type + " is reserved"));
            return;
        }
        if (channels.size() >= config.maxChannels()) {
            result.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                    "stream " + id + " has " + channels.size() + " channels open, the limit is " + config.maxChannels()));
            return;
        }
        int chId = allocateChannelId();
        if (chId < 0) {
            result.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                    "stream " + id + " has all " + IDS_PER_SIDE + " channel ids of its side in use"));
            return;
        }
        Channel ch = new Channel(this, chId, type, handler, Channel.State.OPENING, true);
        ch.opening = result;
        channels.put(ch);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.OpenChannel(chId, type, 0)));
    }

    /** The next free id of our parity, ascending, wrapping after 65535 (ids are reused only after a wrap). */
    private int allocateChannelId() {
        for (int tried = 0; tried < IDS_PER_SIDE; tried++) {
            int candidate = nextChannelId;
            nextChannelId += 2;
            if (nextChannelId > FrameHeader.MAX_CHANNEL_ID) {
                nextChannelId = role.firstChannelId();
            }
            if (channels.get(candidate) == null) {
                return candidate;
            }
        }
        return -1; // every id of our parity is in use
    }

    void closeChannel(Channel ch) {
        onLoop(() -> {
            if (ch.state == Channel.State.OPEN && !closing && state == StreamState.ACTIVE) {
                ch.state = Channel.State.CLOSING;
                ch.closeReasonSent = CloseReason.of(ErrorCode.NORMAL, "closed by application");
                sendChannelFrame(ch, PacketType.CLOSE, ch.closeReasonSent.encode());
            }
        });
    }

    // ---------------------------------------------------------------- writing

    boolean write(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length) {
        int len = buffer != null ? buffer.remaining() : length;
        // One combined test keeps this method small enough to inline; rejectWrite says which rule failed.
        if ((type != PacketType.DATA && type != PacketType.CONTROL) || len > FrameLimits.DEFAULT_MESSAGE_PAYLOAD
                || (array != null && (offset < 0 || length < 0 || offset + length > array.length))
                || ch.state != Channel.State.OPEN || closing) {
            throw rejectWrite(ch, type, array, offset, length, len);
        }
        if (!transport.inLoop()) {
            return writeOffLoop(ch, type, buffer, array, offset, len);
        }
        if (inPacketOut) {
            throw new IllegalStateException("packetOut observers must not write");
        }
        if (buffer != null) {
            sendFrame(ch, ch.id(), type, buffer, null, buffer.position(), len);
        } else {
            sendFrame(ch, ch.id(), type, null, array, offset, len);
        }
        if (transport.writeQueueFull()) {
            ch.writeBlocked = true;
            blockedWriters = true;
            return false;
        }
        return true;
    }

    private RuntimeException rejectWrite(Channel ch, PacketType type, byte[] array, int offset, int length, int len) {
        if (type != PacketType.DATA && type != PacketType.CONTROL) {
            return new IllegalArgumentException("applications write DATA or CONTROL packets, not " + type);
        }
        if (len > FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            return new IllegalArgumentException("packet of " + len + " bytes exceeds the " + FrameLimits.DEFAULT_MESSAGE_PAYLOAD
                    + "-byte frame payload (split it; fragmentation is not in protocol version 1)");
        }
        if (array != null && (offset < 0 || length < 0 || offset + length > array.length)) {
            return new IndexOutOfBoundsException("offset " + offset + " length " + length + " array " + array.length);
        }
        return new IllegalStateException("cannot write to " + ch + (closing ? " (stream closing)" : ""));
    }

    private boolean writeOffLoop(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len) {
        // Off the loop: the caller may reuse its buffer the moment we return, so copy.
        byte[] copy = new byte[len];
        if (buffer != null) {
            buffer.duplicate().get(copy);
        } else {
            System.arraycopy(array, offset, copy, 0, len);
        }
        long queued = offLoopBytes.addAndGet(len);
        transport.execute(() -> {
            offLoopBytes.addAndGet(-len);
            if (ch.state == Channel.State.OPEN && !closing) {
                sendFrame(ch, ch.id(), type, null, copy, 0, len);
            } else {
                ch.writesLost++; // volatile, but only ever written here on the loop
                LOG.log(System.Logger.Level.WARNING, "dropped a " + len + "-byte " + type + " written to " + ch
                        + " from another thread after it closed");
            }
            if (ch.writeBlocked && offLoopBytes.get() <= config.writeHighWater() / 2 && !transport.writeQueueFull()) {
                notifyWritable();
            }
        });
        if (queued > config.writeHighWater()) {
            transport.execute(() -> {
                ch.writeBlocked = true;
                blockedWriters = true;
                // The queued writes may all have run already: then no later task would wake the writer.
                if (offLoopBytes.get() <= config.writeHighWater() / 2 && !transport.writeQueueFull()) {
                    notifyWritable();
                }
            });
            return false;
        }
        return true;
    }

    CompletableFuture<Void> whenWritable(Channel ch) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        onLoop(() -> {
            if (!transport.writeQueueFull() && offLoopBytes.get() <= config.writeHighWater()) {
                f.complete(null);
            } else {
                writableWaiters.add(f);
            }
        });
        return f;
    }

    private void notifyWritable() {
        if (!writableWaiters.isEmpty()) {
            List<CompletableFuture<Void>> waiting = new ArrayList<>(writableWaiters);
            writableWaiters.clear();
            waiting.forEach(w -> w.complete(null));
        }
        if (!blockedWriters) {
            return;
        }
        blockedWriters = false;
        for (Channel ch : channels.all()) {
            if (ch.writeBlocked) {
                ch.writeBlocked = false;
                if (ch.state == Channel.State.OPEN) {
                    invoke(ch, () -> ch.handler.readyToWrite(ch));
                }
            }
        }
    }

    /** One frame into the transport's batch: header, payload copy, counters, trace. */
    private void sendFrame(Channel ch, int chId, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len) {
        int seq = ch == null ? seqOut++ : ch.seqOut++;
        int frame = FrameHeader.SIZE + len;
        ByteBuffer out = transport.claim(frame);
        int at = out.position();
        FrameHeader.write(out, at, len, type, seq, chId, 0);
        if (buffer != null) {
            out.put(at + FrameHeader.SIZE, buffer, offset, len);
        } else {
            out.put(at + FrameHeader.SIZE, array, offset, len);
        }
        RuntimeException observerFailure = null;
        if (ch != null && ch.observesPacketOut && (type == PacketType.DATA || type == PacketType.CONTROL)) {
            // Before commit: once committed, a full batch may be written and its memory reused.
            observerFailure = observePacketOut(ch, type, out, at + FrameHeader.SIZE, len);
        }
        transport.commit(frame);
        packetsSent++;
        bytesSent += frame;
        // Keepalives do not make the write side busy: both ends then ping when idle, so
        // each measures the round trip itself instead of only answering the other's pings.
        if (type != PacketType.KEEPALIVE) {
            wroteSinceTick = true;
        }
        if (FrameTrace.enabled()) {
            FrameTrace.frame(id, false, type, chId, seq, len, 0);
        }
        if (ch != null) {
            ch.packetsSent++;
            ch.bytesSent += len;
            if (observerFailure != null) {
                handlerFailed(ch, observerFailure);
            }
        }
    }

    /**
     * {@code packet_out}: shows the handler the payload as it sits in the batch. The
     * observer must not write (its frame would land inside the one being written).
     *
     * @return what the observer threw, for the caller to handle once the frame is committed
     */
    private RuntimeException observePacketOut(Channel ch, PacketType type, ByteBuffer out, int from, int len) {
        int limit = out.limit();
        int position = out.position();
        inPacketOut = true;
        try {
            out.limit(from + len).position(from);
            ch.handler.packetOut(ch, type, out);
            return null;
        } catch (RuntimeException e) {
            return e;
        } finally {
            inPacketOut = false;
            out.limit(limit).position(position);
        }
    }

    private void sendStreamFrame(PacketType type, byte[] payload) {
        sendFrame(null, 0, type, null, payload, 0, payload.length);
    }

    private void sendChannelFrame(Channel ch, PacketType type, byte[] payload) {
        sendFrame(ch, ch.id(), type, null, payload, 0, payload.length);
    }

    // ---------------------------------------------------------------- reading

    private void onFrame(PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        if (state == StreamState.CLOSED) {
            return; // the rest of a read chunk after the stream ended
        }
        int size = payload.remaining();
        packetsReceived++;
        bytesReceived += FrameHeader.SIZE + size;
        if (FrameTrace.enabled()) {
            FrameTrace.frame(id, true, type, chId, seq, size, flags);
        }
        Channel ch = lastReceiver;
        // Fast path, kept small so the JIT inlines it: in-order plain DATA on the channel of
        // the previous frame, open and in push mode. Everything else takes the checked path.
        if (ch != null && ch.id() == chId && type == PacketType.DATA && seq == ch.seqIn && flags == 0
                && ch.state != Channel.State.OPENING && !ch.handlerFailed && !ch.pullMode()) {
            ch.seqIn++;
            ch.packetsReceived++;
            ch.bytesReceived += size;
            try {
                ch.handler.packetIn(ch, type, payload);
            } catch (RuntimeException e) {
                handlerFailed(ch, e);
            }
            return;
        }
        onFrameChecked(type, seq, chId, flags, payload, size);
    }

    private void onFrameChecked(PacketType type, int seq, int chId, int flags, ByteBuffer payload, int size) throws ProtocolException {
        if (chId == 0) {
            if (seq != seqIn) {
                throw badSequence(0, seqIn, seq);
            }
            seqIn++;
            checkNoFlags(0, flags);
            onStreamFrame(type, payload);
            return;
        }
        if (state != StreamState.ACTIVE) {
            throw new ProtocolException(ErrorCode.STREAM_NOT_READY, type + " on channel " + chId + " before the stream setup completed");
        }
        Channel ch = channels.get(chId);
        if (ch == null) {
            throw everOpened.get(chId)
                    ? new ProtocolException(ErrorCode.CHANNEL_CLOSED, type + " on channel " + chId + ", which is closed")
                    : new ProtocolException(ErrorCode.UNKNOWN_CHANNEL, type + " on channel " + chId + ", which was never opened");
        }
        if (ch.state == Channel.State.OPENING) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, type + " on channel " + chId + " before OPEN_ACK");
        }
        if (seq != ch.seqIn) {
            throw badSequence(chId, ch.seqIn, seq);
        }
        ch.seqIn++;
        checkNoFlags(chId, flags);
        ch.packetsReceived++;
        ch.bytesReceived += size;
        lastReceiver = ch;
        switch (type) {
            case DATA, CONTROL -> deliver(ch, type, payload);
            case CLOSE, ERROR -> onChannelClose(ch, type, CloseReason.decode(payload));
            case KEEPALIVE -> throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "KEEPALIVE on channel " + chId + "; keepalives belong to ch 0");
        }
    }

    private void onStreamFrame(PacketType type, ByteBuffer payload) throws ProtocolException {
        switch (type) {
            case CONTROL -> onControl(ControlCodec.decode(payload));
            case KEEPALIVE -> {
                requireActive("KEEPALIVE");
                KeepAlivePayload ka = KeepAlivePayload.decode(payload);
                if (ka.pong()) {
                    long rtt = keepAlive.onPong(clock.nanoTime(), ka.timestamp());
                    if (rtt >= 0) {
                        counters.roundTrip(rtt);
                    }
                } else if (!closing) {
                    byte[] pong = new byte[KeepAlivePayload.SIZE];
                    KeepAlivePayload.encode(pong, 0, true, ka.timestamp());
                    sendStreamFrame(PacketType.KEEPALIVE, pong);
                }
            }
            case CLOSE -> {
                CloseReason reason = CloseReason.decode(payload);
                if (closing) {
                    finish(closeReasonSent);
                } else {
                    sendStreamFrame(PacketType.CLOSE, CloseReason.of(ErrorCode.NORMAL, "").encode());
                    finish(reason);
                }
            }
            case ERROR -> {
                CloseReason reason = CloseReason.decode(payload);
                counters.errorReceived(reason.code());
                LOG.log(System.Logger.Level.DEBUG, "stream " + id + " ended by peer: " + reason);
                finish(reason);
            }
            case DATA -> throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, "DATA on ch 0; data travels on channels 1..65535");
        }
    }

    private void onControl(ControlMessage message) throws ProtocolException {
        if (message instanceof ControlMessage.Hello hello) {
            onHello(hello);
        } else if (message instanceof ControlMessage.Welcome welcome) {
            onWelcome(welcome);
        } else if (message instanceof ControlMessage.OpenChannel open) {
            requireActive("OPEN_CHANNEL");
            onOpenChannel(open);
        } else if (message instanceof ControlMessage.OpenAck ack) {
            requireActive("OPEN_ACK");
            Channel ch = pendingOpen(ack.channelId(), "OPEN_ACK");
            ch.state = Channel.State.OPEN;
            everOpened.set(ch.id());
            CompletableFuture<Channel> f = ch.opening;
            ch.opening = null;
            if (f != null) { // null: abandoned because the stream is closing; the CLOSE ends it
                invoke(ch, () -> ch.handler.opened(ch));
                f.complete(ch);
            }
        } else if (message instanceof ControlMessage.OpenReject reject) {
            requireActive("OPEN_REJECT");
            Channel ch = pendingOpen(reject.channelId(), "OPEN_REJECT");
            channels.remove(ch.id());
            ch.state = Channel.State.CLOSED;
            CloseReason reason = new CloseReason(reject.code(), reject.reason());
            ch.closeFuture.complete(reason);
            if (ch.opening != null) {
                ch.opening.completeExceptionally(new StreamException(reason));
                ch.opening = null;
            }
        }
    }

    private void onHello(ControlMessage.Hello hello) throws ProtocolException {
        if (role != StreamRole.ACCEPTOR || state != StreamState.SETUP) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "HELLO is only the connecting side's first frame");
        }
        if (hello.version() != ControlMessage.PROTOCOL_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "peer speaks protocol version " + hello.version() + ", this node speaks " + ControlMessage.PROTOCOL_VERSION);
        }
        if (hello.features() != FEATURES_V1) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format("HELLO features 0x%04x; version 1 defines none", hello.features()));
        }
        node = hello.node();
        Session s = sessions.create(hello.node());
        attachSession(s);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.Welcome(ControlMessage.PROTOCOL_VERSION,
                FEATURES_V1, localNode, s.id(), (int) config.keepAliveTimeout().toMillis())));
        becomeActive();
    }

    private void onWelcome(ControlMessage.Welcome welcome) throws ProtocolException {
        if (role != StreamRole.CONNECTOR || state != StreamState.SETUP) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, "WELCOME is only the accepting side's answer to HELLO");
        }
        if (welcome.version() != ControlMessage.PROTOCOL_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "peer answered with protocol version " + welcome.version() + ", this node speaks " + ControlMessage.PROTOCOL_VERSION);
        }
        if (welcome.features() != FEATURES_V1) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format("WELCOME features 0x%04x; version 1 defines none", welcome.features()));
        }
        node = welcome.node();
        attachSession(new Session(welcome.sessionId(), welcome.node(), clock.currentTimeMillis()));
        // Ping often enough for the peer's timeout too: three pings per peer timeout.
        long peerTimeout = TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(welcome.keepAliveTimeoutMillis()));
        long interval = Math.min(config.keepAliveInterval().toNanos(), Math.max(1_000_000, peerTimeout / 3));
        if (peerTimeout > 0 && interval < config.keepAliveInterval().toNanos()) {
            keepAlive = newKeepAlive(interval, clock.nanoTime());
            ticker.cancel();
            ticker = transport.every(KeepAlive.tickMillis(interval, config.keepAliveTimeout().toNanos()), this::tick);
        }
        becomeActive();
    }

    private void attachSession(Session s) {
        session = s;
        primary = s.streams().isEmpty();
        s.attach(this);
    }

    private void becomeActive() {
        state = StreamState.ACTIVE;
        if (deadline != null) {
            deadline.cancel();
        }
        listener.active(this);
        ready.complete(this);
    }

    private void onOpenChannel(ControlMessage.OpenChannel open) throws ProtocolException {
        int chId = open.channelId();
        if (chId == 0 || role.opens(chId)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL_ID, "peer opened channel " + chId
                    + "; the " + (role == StreamRole.ACCEPTOR ? "connecting side opens odd" : "accepting side opens even") + " ids 1..65535");
        }
        if (channels.get(chId) != null) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL_ID, "peer opened channel " + chId + ", which is already open");
        }
        if (open.options() != 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format("OPEN_CHANNEL options 0x%02x; version 1 defines none", open.options()));
        }
        ChannelHandler handler = open.type().reserved() || services == null ? null : services.handler(open.type());
        if (handler == null) {
            reject(chId, ErrorCode.UNSUPPORTED_CHANNEL_TYPE, "no service for channel type " + open.type());
            return;
        }
        if (channels.size() >= config.maxChannels()) {
            reject(chId, ErrorCode.RESOURCE_EXHAUSTED, "the limit of " + config.maxChannels() + " channels per stream is reached");
            return;
        }
        Channel ch = new Channel(this, chId, open.type(), handler, Channel.State.OPEN, false);
        channels.put(ch);
        everOpened.set(chId);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.OpenAck(chId)));
        invoke(ch, () -> ch.handler.opened(ch));
    }

    private void reject(int chId, ErrorCode code, String reason) {
        counters.errorSent(code);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.OpenReject(chId, code.code(), reason)));
    }

    private Channel pendingOpen(int chId, String what) throws ProtocolException {
        Channel ch = channels.get(chId);
        if (ch == null || ch.state != Channel.State.OPENING) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, what + " for channel " + chId + ", which this side is not opening");
        }
        return ch;
    }

    private void deliver(Channel ch, PacketType type, ByteBuffer payload) {
        if (ch.handlerFailed) {
            return; // its handler failed; the ERROR we sent closes it once the peer answers
        }
        if (ch.pullMode()) {
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            ch.pulled.add(new Packet(type, copy));
            // Counted after the add, so a reader draining on another thread never sees a
            // count of 0 with a packet it has not taken: readyToRead fires on 0 -> 1 only.
            boolean wasEmpty = ch.pulledCount.getAndIncrement() == 0;
            long buffered = ch.pulledBytes.addAndGet(copy.length);
            if (buffered > config.channelBufferSize() && !ch.pausedStreamForPull) {
                ch.pausedStreamForPull = true;
                pauseReading();
            }
            if (wasEmpty) {
                invoke(ch, () -> ch.handler.readyToRead(ch));
            }
            return;
        }
        try {
            ch.handler.packetIn(ch, type, payload); // no lambda: this is the per-packet hot path
        } catch (RuntimeException e) {
            handlerFailed(ch, e);
        }
    }

    void pullDrained(Channel ch) {
        onLoop(() -> {
            if (ch.pausedStreamForPull && ch.pulledBytes.get() <= config.channelBufferSize() / 2) {
                ch.pausedStreamForPull = false;
                resumeReading();
            }
        });
    }

    private void onChannelClose(Channel ch, PacketType type, CloseReason reason) {
        if (type == PacketType.ERROR) {
            counters.errorReceived(reason.code());
        }
        CloseReason outcome = reason;
        if (ch.state == Channel.State.CLOSING) {
            outcome = ch.closeReasonSent != null ? ch.closeReasonSent : reason;
        } else {
            sendChannelFrame(ch, PacketType.CLOSE, CloseReason.of(ErrorCode.NORMAL, "").encode());
        }
        channelGone(ch, outcome);
    }

    private void channelGone(Channel ch, CloseReason reason) {
        channels.remove(ch.id());
        if (lastReceiver == ch) {
            lastReceiver = null;
        }
        ch.state = Channel.State.CLOSED;
        if (ch.pausedStreamForPull) {
            ch.pausedStreamForPull = false;
            resumeReading();
        }
        if (ch.opening != null) {
            ch.opening.completeExceptionally(new StreamException(reason));
            ch.opening = null;
        }
        try {
            ch.handler.closed(ch, reason);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closed callback of " + ch + " threw", e);
        }
        ch.closeFuture.complete(reason);
    }

    /** Runs a handler callback; a throwing handler closes its own channel with HANDLER_FAILED, nothing more. */
    private void invoke(Channel ch, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            handlerFailed(ch, e);
        }
    }

    private void handlerFailed(Channel ch, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "handler of " + ch + " failed; closing the channel", e);
        if (ch.state == Channel.State.OPEN && state == StreamState.ACTIVE && !closing) {
            ch.handlerFailed = true;
            ch.state = Channel.State.CLOSING;
            CloseReason reason = CloseReason.of(ErrorCode.HANDLER_FAILED, "handler failed: " + e.getClass().getSimpleName());
            ch.closeReasonSent = reason;
            counters.errorSent(ErrorCode.HANDLER_FAILED);
            sendChannelFrame(ch, PacketType.ERROR, reason.encode());
        }
    }

    // ---------------------------------------------------------------- keepalive, deadlines, errors

    private KeepAlive newKeepAlive(long intervalNanos, long now) {
        return new KeepAlive(intervalNanos, config.keepAliveTimeout().toNanos(), now);
    }

    /** The keepalive tick, every quarter interval. Package-private so tests can drive it. */
    void tick() {
        if (state != StreamState.ACTIVE) {
            return; // during setup its own deadline governs; a closed stream has no timers
        }
        boolean read = readSinceTick;
        boolean wrote = wroteSinceTick;
        readSinceTick = false;
        wroteSinceTick = false;
        if (read && session != null) {
            session.touch(clock.currentTimeMillis());
        }
        KeepAlive.Action action = keepAlive.tick(clock.nanoTime(), read, wrote);
        if (action == KeepAlive.Action.TIMEOUT) {
            long silentMs = config.keepAliveTimeout().toMillis();
            if (decoder.hasPartialFrame()) {
                fail(new ProtocolException(ErrorCode.TRUNCATED_FRAME, "a frame was begun and not completed within " + silentMs + " ms"));
            } else {
                counters.keepAliveTimeout();
                fail(new ProtocolException(ErrorCode.KEEPALIVE_TIMEOUT, "no bytes from the peer for " + silentMs + " ms"));
            }
        } else if (action == KeepAlive.Action.PING && state == StreamState.ACTIVE && !closing) {
            byte[] ping = new byte[KeepAlivePayload.SIZE];
            KeepAlivePayload.encode(ping, 0, false, clock.nanoTime());
            sendStreamFrame(PacketType.KEEPALIVE, ping);
        }
    }

    private void setupDeadline() {
        if (state == StreamState.SETUP) {
            counters.setupTimeout();
            fail(new ProtocolException(ErrorCode.SETUP_TIMEOUT, "stream setup not completed within " + config.setupTimeout().toMillis() + " ms"));
        }
    }

    private void closeLocally(CloseReason reason) {
        if (state == StreamState.CLOSED || closing) {
            return;
        }
        if (state == StreamState.SETUP) {
            sendStreamFrame(PacketType.CLOSE, reason.encode());
            finish(reason);
            return;
        }
        closing = true;
        closeReasonSent = reason;
        for (Channel ch : channels.all()) {
            if (ch.state == Channel.State.OPENING && ch.opening != null) {
                // The open fails now; the channel stays in the table so the peer's OPEN_ACK
                // or OPEN_REJECT, possibly already on its way, is still understood.
                ch.opening.completeExceptionally(new StreamException(reason));
                ch.opening = null;
            }
        }
        sendStreamFrame(PacketType.CLOSE, reason.encode());
        // The peer answers with CLOSE; if it never does, the keepalive timeout ends the stream.
    }

    /** The peer broke the protocol (or a deadline passed): ERROR with the code, then close. */
    private void fail(ProtocolException e) {
        if (state == StreamState.CLOSED) {
            return;
        }
        counters.errorSent(e.code());
        LOG.log(System.Logger.Level.DEBUG, "stream " + id + " from " + transport.remoteAddress() + " failed: " + e);
        CloseReason reason = CloseReason.of(e.code(), e.getMessage());
        sendStreamFrame(PacketType.ERROR, reason.encode());
        finish(reason);
    }

    /** The stream is over: channels closed, session detached, timers stopped, connection closed. */
    private void finish(CloseReason reason) {
        if (state == StreamState.CLOSED) {
            return;
        }
        state = StreamState.CLOSED;
        if (ticker != null) {
            ticker.cancel();
        }
        if (deadline != null) {
            deadline.cancel();
        }
        for (Channel ch : channels.all()) {
            channelGone(ch, reason);
        }
        writableWaiters.forEach(w -> w.completeExceptionally(new StreamException(reason)));
        writableWaiters.clear();
        Session s = session;
        if (s != null && s.detach(this)) {
            if (sessions != null) {
                sessions.delete(s);
            } else {
                s.deactivate(); // a connector's view of its session: nothing else holds it
            }
        }
        transport.close();
        counters.streamClosed(this);
        ready.completeExceptionally(new StreamException(reason));
        try {
            listener.closed(this, reason);
        } finally {
            closeFuture.complete(reason);
        }
    }

    private void requireActive(String what) throws ProtocolException {
        if (state != StreamState.ACTIVE) {
            throw new ProtocolException(ErrorCode.STREAM_NOT_READY, what + " before the stream setup completed");
        }
    }

    private static ProtocolException badSequence(int chId, int expected, int got) {
        return new ProtocolException(ErrorCode.BAD_SEQUENCE, "channel " + chId + ": expected seq "
                + Integer.toUnsignedString(expected) + ", got " + Integer.toUnsignedString(got));
    }

    private static void checkNoFlags(int chId, int flags) throws ProtocolException {
        if (flags != 0) {
            throw new ProtocolException(ErrorCode.FLAG_NOT_NEGOTIATED, String.format(
                    "flags 0x%02x on channel %d; compression, encryption and fragmentation were not negotiated", flags, chId));
        }
    }

    // ---------------------------------------------------------------- reading back-pressure

    /** Stops reading from the connection (counted: each pause needs its resume). On the loop only. */
    public void pauseReading() {
        if (pauseRequests++ == 0) {
            transport.pauseReading();
        }
    }

    public void resumeReading() {
        if (pauseRequests > 0 && --pauseRequests == 0) {
            transport.resumeReading();
        }
    }

    private void onLoop(Runnable task) {
        // Inside a packetOut observer a frame is half written: anything that sends waits.
        if (transport.inLoop() && !inPacketOut) {
            task.run();
        } else {
            transport.execute(task);
        }
    }

    // ---------------------------------------------------------------- the seed's fields

    public int id() {
        return id;
    }

    public StreamRole role() {
        return role;
    }

    /** The peer's node address (claimed in HELLO/WELCOME until the secure handshake authenticates it). */
    public NodeAddress node() {
        return node;
    }

    /** The seed's {@code authorized}: the peer proved its node address. Always false before the secure handshake exists. */
    public boolean authorized() {
        return false;
    }

    /** The seed's {@code primary}: the first stream of its session. */
    public boolean primary() {
        return primary;
    }

    public Session session() {
        return session;
    }

    public StreamState state() {
        return state;
    }

    /** The seed's {@code is_active}: set up and not closing. */
    public boolean active() {
        return state == StreamState.ACTIVE && !closing;
    }

    public StreamConfig config() {
        return config;
    }

    public long createTime() {
        return createTime;
    }

    public String remoteAddress() {
        return transport.remoteAddress();
    }

    /** The open channels (a snapshot; safe from any thread only as monitoring data). */
    public List<Channel> channels() {
        return channels.all();
    }

    /** {@code dap_stream_get_stats}. */
    public StreamStats stats() {
        KeepAlive ka = keepAlive;
        return new StreamStats(packetsSent, packetsReceived, bytesSent, bytesReceived, channels.size(),
                ka == null ? Double.NaN : ka.avgLatencyMillis());
    }

    private String describeState() {
        return closing ? "closing" : state.name().toLowerCase();
    }

    @Override
    public String toString() {
        return "stream " + id + " (" + role + ", " + describeState() + ", peer " + node + " at " + transport.remoteAddress() + ")";
    }
}
