package org.dapstream.stream;

import org.dapstream.compress.AdaptiveCompression;
import org.dapstream.compress.CompressionException;
import org.dapstream.compress.CompressionPolicy;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.AeadFailure;
import org.dapstream.crypto.ClientHandshake;
import org.dapstream.crypto.FrameCipher;
import org.dapstream.crypto.HandshakeException;
import org.dapstream.crypto.HandshakeResult;
import org.dapstream.crypto.PeerIdentity;
import org.dapstream.crypto.ServerHandshake;
import org.dapstream.crypto.KeySchedule;
import org.dapstream.crypto.SessionSecrets;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.FrameSink;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
    /** The largest frame this side sends, the least a rate limit's bucket holds so every frame fits. */
    private static final int LARGEST_FRAME = FrameHeader.SIZE + FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;

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
    /** Null: the plaintext HELLO/WELCOME setup (security disabled on this node). */
    private final StreamSecurity security;
    private final FrameDecoder decoder;
    private final FrameSink sink = this::onFrame;
    private final ChannelTable channels = new ChannelTable();
    /** Ids of channels the peer or we opened at some time, to tell CHANNEL_CLOSED from UNKNOWN_CHANNEL. */
    private final BitSet everOpened = new BitSet();
    private final CompletableFuture<Stream> ready = new CompletableFuture<>();
    private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();
    /** Completes when the peer says it is going away (GOAWAY); never fails. */
    private final CompletableFuture<ControlMessage.GoAway> peerGoingAway = new CompletableFuture<>();
    private final AtomicLong offLoopBytes = new AtomicLong();
    private final long createTime;

    private volatile StreamState state = StreamState.SETUP;
    private volatile boolean closing;
    /** We sent GOAWAY: the peer's further opens are refused with GOING_AWAY. */
    private volatile boolean goAwaySent;
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
    /** A tick found a frame in part: since when (clock time), and the frames decoded then. */
    private boolean partialFrameSeen;
    private long partialFrameSince;
    private long partialFrameDecoded;
    private boolean wroteSinceTick;
    private boolean blockedWriters;
    private boolean inPacketOut;
    /** The channel of the last frame received: consecutive frames mostly share one. */
    private Channel lastReceiver;
    private StreamTransport.Cancellable ticker;
    private StreamTransport.Cancellable deadline;
    private final List<Waiter> writableWaiters = new ArrayList<>();
    /** What the peer may make us queue for it before its connection is no longer read. */
    private final OutputBudget output;

    // Flow control (event loop only). Credit counts application payload bytes (FlowWindow).
    private final FlowConfig flow;
    /** Largest DATA message a writer may hand over; CONTROL packets stay within one frame. */
    private final int maxMessage;
    /** Payload bytes the peer lets us send on all channels together. */
    private long sendCredit = FlowWindow.INITIAL_STREAM_WINDOW;
    /** Payload bytes the peer may still send us on all channels; below 0 is a violation. */
    private long receiveCredit = FlowWindow.INITIAL_STREAM_WINDOW;
    /** Consumed bytes not yet granted back on the stream window (negative while held messages are unread). */
    private long grantPending;
    /** The stream's receive window now: the configured one, grown while the application consumes fast. */
    private long streamReceiveWindow;
    /** A WINDOW_UPDATE(0) goes once this much was consumed: half the window, so the sender never runs dry on a fast reader. */
    private long streamGrantThreshold;
    /** Clock time of the last stream grant (or of the setup). */
    private long lastStreamGrantNanos;
    /** Channels with queued messages that may send now, served one frame each in turn (fairness). */
    private final ArrayDeque<Channel> sendRing = new ArrayDeque<>();
    private boolean pumping;
    private boolean streamCreditStalled;
    private boolean streamRateWaiting;
    /** Null: no stream rate limit. */
    private final TokenBucket streamRate;
    /** Bytes held by partly received fragmented messages, all channels. */
    private long reassemblyBytes;
    /** Channels with a fragmented message in progress (the tick checks their timeout only when > 0). */
    private int reassembling;
    /** A fragment header and its data, put together to be compressed as one payload; made on first use. */
    private ByteBuffer compressScratch;
    /** Where COMPRESSED payloads are decompressed (frame limit bytes): the payload handed on is a slice of it. */
    private ByteBuffer inflated;

    // Security: the handshake in progress, then the session's secrets and the stream keys.
    private ClientHandshake clientHandshake;
    private ServerHandshake serverHandshake;
    /** A handshake step's crypto runs on a worker: the handshake is not touched here until it returns. */
    private boolean handshakeStepRunning;
    /** Set once the stream is closed: read by handshake workers, so a queued step of a gone stream is skipped. */
    private volatile boolean ended;
    private SessionSecrets secrets;
    private volatile PeerIdentity peer;
    /** Seals what we send on ch 0 and on channels without their own key; null while plaintext. */
    private FrameKey sendKey;
    /** Opens what we receive on ch 0 and on channels without their own key; null while plaintext. */
    private FrameKey receiveKey;
    /** The flags every received frame carries: ENCRYPTED once the handshake is done, else 0. */
    private int expectedFlags;
    private boolean rekeying;
    /** CHANNEL_KEY requests this side sent, and the peer sent, on this stream: they name each exchange's keys. */
    private long channelKeysSent;
    private long channelKeysReceived;

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
        this(role, config, transport, clock, services, sessions, localNode, counters, listener, null);
    }

    /**
     * @param security the secure handshake and encryption (null: plaintext setup, for nodes
     *                 that disable security); its identity's address replaces {@code localNode}
     */
    public Stream(StreamRole role, StreamConfig config, StreamTransport transport, StreamClock clock,
                  ChannelRegistry services, Sessions sessions, NodeAddress localNode,
                  StreamCounters counters, StreamListener listener, StreamSecurity security) {
        this.security = security;
        if (security != null) {
            localNode = security.handshake().identity().address();
        }
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
        this.flow = config.flow();
        this.maxMessage = flow.maxMessageSize();
        this.streamReceiveWindow = flow.streamWindow();
        this.streamGrantThreshold = flow.streamWindow() / 2;
        this.streamRate = flow.streamRate().limited() ? new TokenBucket(flow.streamRate(), LARGEST_FRAME, clock.nanoTime()) : null;
        this.nextChannelId = role.firstChannelId();
        this.createTime = clock.currentTimeMillis();
        this.output = new OutputBudget(transport, config, this::heldMessages, this::outputWaitsOnPeer,
                this::pauseReading, this::resumeReading, this::outputStalled);
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
        if (security != null) {
            if (role == StreamRole.CONNECTOR) {
                ClientHandshake hs = clientHandshake = new ClientHandshake(security.handshake());
                try {
                    handshakeStep(hs::start, hello -> sendStreamFrame(PacketType.CONTROL, hello), null);
                } catch (ProtocolException e) {
                    fail(e);
                }
            } else {
                serverHandshake = new ServerHandshake(security.handshake());
            }
        } else if (role == StreamRole.CONNECTOR) {
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
        if (state != StreamState.CLOSED) {
            output.check(); // what this input made us owe the peer
        }
    }

    /** The connection is gone (the peer closed it, or the network failed). */
    public void onTransportClosed() {
        if (state != StreamState.CLOSED) {
            counters.connectionLost(decoder.hasPartialFrame());
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

    /** An orderly close with {@code code} (e.g. GOING_AWAY once a drain's grace period is over): CLOSE, then the peer's answer. */
    public void close(ErrorCode code, String reason) {
        onLoop(() -> closeLocally(CloseReason.of(code, reason)));
    }

    /**
     * Tells the peer this node is going away (GOAWAY on ch 0): it should open nothing more,
     * finish within {@code graceMillis} and close the stream; opens it still sends are refused
     * with GOING_AWAY. Channels already open keep working. A stream still in setup has
     * nothing accepted yet and ends at once with ERROR GOING_AWAY. Sent once; later calls do nothing.
     *
     * @param alternate another member to use, {@code host:port}, or empty
     */
    public void goAway(long graceMillis, String alternate, String reason) {
        ControlMessage.GoAway message = new ControlMessage.GoAway(graceMillis, alternate, reason);
        byte[] encoded = ControlCodec.encode(message); // bad arguments fail in the caller's thread
        onLoop(() -> {
            if (state == StreamState.SETUP) {
                fail(new ProtocolException(ErrorCode.GOING_AWAY, reason));
            } else if (state == StreamState.ACTIVE && !closing && !goAwaySent) {
                goAwaySent = true;
                sendStreamFrame(PacketType.CONTROL, encoded);
            }
        });
    }

    /** Completes with the peer's GOAWAY when it says it is going away; stays pending otherwise. */
    public CompletableFuture<ControlMessage.GoAway> goingAway() {
        return peerGoingAway;
    }

    /**
     * Ends the stream with an ERROR of {@code code} once the current event-loop task is over:
     * for a service that finds, inside a callback, that the peer went too far (the frame being
     * delivered is finished first).
     */
    void endAfterThisTask(ErrorCode code, String reason) {
        transport.execute(() -> fail(new ProtocolException(code, reason)));
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
        return openChannel(type, handler, flow.compression() && !ChannelType.SECURITY.equals(type));
    }

    /**
     * Opens a channel and says whether to offer compression on it (the default: on when the
     * node compresses, except on SECURITY channels, see docs/DECISIONS.md on CRIME-style leaks).
     */
    public CompletableFuture<Channel> openChannel(ChannelType type, ChannelHandler handler, boolean compression) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        onLoop(() -> openOnLoop(type, handler, compression, result));
        return result;
    }

    private void openOnLoop(ChannelType type, ChannelHandler handler, boolean compression, CompletableFuture<Channel> result) {
        if (state != StreamState.ACTIVE || closing) {
            result.completeExceptionally(new StreamException(ErrorCode.STREAM_NOT_READY, "stream " + id + " is " + describeState()));
            return;
        }
        if (peerGoingAway.isDone()) {
            result.completeExceptionally(new StreamException(ErrorCode.GOING_AWAY, "stream " + id + ": the peer is going away"));
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
        prepareFlow(ch, compression);
        channels.put(ch);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.OpenChannel(chId, type,
                compression ? ControlMessage.OPTION_COMPRESSION : 0)));
        grantInitialWindow(ch);
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
                if (ch.outbound.isEmpty()) {
                    sendChannelFrame(ch, PacketType.CLOSE, ch.closeReasonSent.encode());
                } else {
                    ch.closeAfterDrain = true; // what was written goes first; the pump sends CLOSE after it
                }
            }
        });
    }

    // ---------------------------------------------------------------- writing

    boolean write(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int length) {
        int len = buffer != null ? buffer.remaining() : length;
        // One combined test keeps this method small enough to inline; rejectWrite says which rule failed.
        if ((type != PacketType.DATA && type != PacketType.CONTROL)
                || len > (type == PacketType.DATA ? maxMessage : FrameLimits.DEFAULT_MESSAGE_PAYLOAD)
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
        // Fast path, kept small so the JIT inlines it: nothing queued before it, credit for it,
        // one frame, no rate limit, too small to compress (directLimit folds those in).
        if (len <= ch.directLimit && len <= ch.sendCredit && len <= sendCredit && ch.outbound.isEmpty()) {
            ch.sendCredit -= len;
            sendCredit -= len;
            if (buffer != null) {
                sendFrame(ch, ch.id(), type, buffer, null, buffer.position(), len);
            } else {
                sendFrame(ch, ch.id(), type, null, array, offset, len);
            }
            if (transport.writeQueueFull()) {
                return blockWriter(ch);
            }
            return true;
        }
        return writeSlow(ch, type, buffer, array, offset, len);
    }

    /** Everything but the fast path: a frame that may be compressed, or a message to queue. */
    private boolean writeSlow(Channel ch, PacketType type, ByteBuffer buffer, byte[] array, int offset, int len) {
        ByteBuffer source = buffer != null ? buffer : ByteBuffer.wrap(array, offset, len);
        int from = buffer != null ? buffer.position() : offset;
        if (!sendNow(ch, type, source, from, len)) {
            // Queued: the caller may reuse its buffer the moment we return, so copy.
            byte[] copy = new byte[len];
            source.get(from, copy);
            enqueue(ch, new OutboundMessage(type, copy, len, null));
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
        if (len > OutboundMessage.FRAGMENT_DATA || ch.rate != null || streamRate != null || !ch.outbound.isEmpty()
                || len > ch.sendCredit || len > sendCredit) {
            return false;
        }
        ch.sendCredit -= len;
        sendCredit -= len;
        if (len <= ch.directLimit) {
            sendFrame(ch, ch.id(), type, source, null, from, len); // calls the observer itself
            return true;
        }
        if (ch.observesPacketOut) {
            RuntimeException failure = observePacketOut(ch, type, source.duplicate(), from, len);
            if (failure != null) {
                handlerFailed(ch, failure); // nothing goes after the channel's ERROR
                return true;
            }
        }
        sendAppFrame(ch, type, source, from, len, -1, 0, false);
        return true;
    }

    private boolean blockWriter(Channel ch) {
        output.check(); // a writer that ignores false is held to the budget too
        if (ch.compressor != null) {
            ch.compressor.writerHeldBack();
        }
        ch.writeBlocked = true;
        blockedWriters = true;
        return false;
    }

    /** write's answer: false (and readyToWrite later) when this channel's writer should wait, or the connection is full. */
    private boolean writeAccepted(Channel ch) {
        if (transport.writeQueueFull() || (ch.queuedBytes > 0 && writerMustWait(ch))) {
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
                && (ch.queuedBytes > flow.channelSendBuffer() || ch.creditStalled || streamCreditStalled);
    }

    /** The other side of {@link #writerMustWait}: the queue is empty, or at half the buffer and moving (credit there). */
    private boolean writerMayResume(Channel ch) {
        return ch.queuedBytes == 0 || ChannelType.MEDIA.equals(ch.type())
                || (ch.queuedBytes <= flow.channelSendBuffer() / 2 && !ch.creditStalled && !streamCreditStalled);
    }

    /** {@link Channel#send}: a write whose future says when the message has gone. */
    CompletableFuture<Void> send(Channel ch, PacketType type, byte[] data) {
        int len = data.length;
        if ((type != PacketType.DATA && type != PacketType.CONTROL)
                || len > (type == PacketType.DATA ? maxMessage : FrameLimits.DEFAULT_MESSAGE_PAYLOAD)) {
            throw rejectWrite(ch, type, data, 0, len, len);
        }
        CompletableFuture<Void> sent = new CompletableFuture<>();
        byte[] copy = data.clone();
        boolean fromElsewhere = !transport.inLoop();
        onLoop(() -> {
            if (ch.state != Channel.State.OPEN || closing) {
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
        if (!sendNow(ch, type, ByteBuffer.wrap(data), 0, len)) {
            enqueue(ch, new OutboundMessage(type, data, len, sent));
        } else if (sent != null) {
            sent.complete(null);
        }
    }

    /** Queues a message on its channel (a full MEDIA queue drops its oldest first) and lets the pump send what it can. */
    private void enqueue(Channel ch, OutboundMessage m) {
        if (ChannelType.MEDIA.equals(ch.type())) {
            dropForFreshness(ch, m.length);
        }
        ch.outbound.addLast(m);
        ch.queuedBytes += m.length;
        if (ch.compressor != null) {
            ch.compressor.writerHeldBack();
        }
        if (ch.observesPacketOut) {
            RuntimeException failure = observePacketOut(ch, m.type, ByteBuffer.wrap(m.data), 0, m.length);
            if (failure != null) {
                handlerFailed(ch, failure);
                return;
            }
        }
        ring(ch);
        pump();
    }

    /** MEDIA: freshness over completeness. Drops the oldest queued messages not yet begun until {@code incoming} fits. */
    private void dropForFreshness(Channel ch, int incoming) {
        Iterator<OutboundMessage> queued = ch.outbound.iterator();
        while (ch.queuedBytes + incoming > flow.channelSendBuffer() && queued.hasNext()) {
            OutboundMessage old = queued.next();
            if (old.started()) {
                continue; // half sent: the peer is reassembling it, it must finish
            }
            queued.remove();
            ch.queuedBytes -= old.length;
            ch.mediaDropped++; // volatile, but only ever written here on the loop
            counters.mediaDropped();
            if (old.sent != null) {
                old.sent.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                        ch + ": dropped from the full MEDIA queue for a fresher message"));
            }
        }
    }

    /** Puts a channel with something to send at the back of the round robin, unless it waits for credit or its rate. */
    private void ring(Channel ch) {
        if (!ch.inSendRing && !ch.creditStalled && !ch.rateWaiting && !ch.outbound.isEmpty()) {
            ch.inSendRing = true;
            sendRing.addLast(ch);
        }
    }

    /**
     * Sends queued messages, one frame per channel per turn so a large message on one channel
     * delays another channel's by at most one frame per busy channel. Stops when the
     * connection's queue is full (onWritable resumes it), the stream is out of credit (a
     * WINDOW_UPDATE resumes it) or the stream's rate limit says wait (a timer resumes it).
     */
    private void pump() {
        // A closing stream sent its CLOSE: nothing more goes on channels (PROTOCOL.md 16.1);
        // what is still queued fails when the stream ends.
        if (pumping || closing || state == StreamState.CLOSED) {
            return;
        }
        pumping = true;
        try {
            while (!sendRing.isEmpty() && !streamCreditStalled && !streamRateWaiting && !transport.writeQueueFull()) {
                Channel ch = sendRing.pollFirst();
                ch.inSendRing = false;
                OutboundMessage m = ch.outbound.peekFirst();
                if (m == null || ch.state == Channel.State.CLOSED || (ch.state == Channel.State.CLOSING && !ch.closeAfterDrain)) {
                    continue;
                }
                int chunk = m.nextChunk();
                if (ch.sendCredit < chunk) {
                    ch.creditStalled = true;
                    counters.flowControlStall();
                    continue;
                }
                if (sendCredit < chunk) {
                    streamCreditStalled = true;
                    counters.flowControlStall();
                    ch.inSendRing = true;
                    sendRing.addFirst(ch);
                    break;
                }
                boolean limited = ch.rate != null || streamRate != null;
                if (limited && !rateAllows(ch, FrameHeader.SIZE + chunk + (m.fragmented() ? FragmentHeader.SIZE : 0)
                        + (sendKey == null ? 0 : FrameCipher.TAG_SIZE))) {
                    continue;
                }
                ch.sendCredit -= chunk;
                sendCredit -= chunk;
                int frame = sendQueuedFrame(ch, m, chunk);
                if (limited) {
                    takeRate(ch, frame);
                }
                m.done += chunk;
                ch.queuedBytes -= chunk;
                if (m.done == m.length) {
                    ch.outbound.pollFirst();
                    if (m.sent != null) {
                        m.sent.complete(null);
                    }
                }
                if (!ch.outbound.isEmpty()) {
                    ring(ch);
                } else if (ch.closeAfterDrain && ch.state == Channel.State.CLOSING) {
                    ch.closeAfterDrain = false;
                    sendChannelFrame(ch, PacketType.CLOSE, ch.closeReasonSent.encode());
                }
                wakeWriter(ch);
            }
        } finally {
            pumping = false;
        }
    }

    /**
     * Whether a frame of at most {@code frameBytes} (its size uncompressed) may go now; else parks
     * the channel (or the whole ring) until the tokens are there. The frame is charged what it
     * actually took on the wire ({@link #takeRate}), so compressed frames cost their compressed size.
     */
    private boolean rateAllows(Channel ch, int frameBytes) {
        long now = clock.nanoTime();
        long channelWait = ch.rate == null ? 0 : ch.rate.delayNanos(now, frameBytes);
        long streamWait = channelWait > 0 || streamRate == null ? 0 : streamRate.delayNanos(now, frameBytes);
        if ((channelWait > 0 || streamWait > 0) && ch.compressor != null) {
            ch.compressor.rateLimitWaited(now); // the wire budget is the bottleneck: compression pays
        }
        if (channelWait > 0) {
            ch.rateWaiting = true;
            transport.after(toMillisCeil(channelWait), () -> {
                ch.rateWaiting = false;
                ring(ch);
                pump();
            });
            return false;
        }
        if (streamWait > 0) {
            streamRateWaiting = true;
            ch.inSendRing = true;
            sendRing.addFirst(ch);
            transport.after(toMillisCeil(streamWait), () -> {
                streamRateWaiting = false;
                pump();
            });
            return false;
        }
        return true;
    }

    private void takeRate(Channel ch, int frameBytes) {
        if (ch.rate != null) {
            ch.rate.take(frameBytes);
        }
        if (streamRate != null) {
            streamRate.take(frameBytes);
        }
    }

    private static long toMillisCeil(long nanos) {
        return Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    /** readyToWrite for a channel that reported back-pressure, once its queue is at half and the connection takes more. */
    private void wakeWriter(Channel ch) {
        if (ch.writeBlocked && writerMayResume(ch) && !transport.writeQueueFull()
                && offLoopBytes.get() <= config.writeHighWater() / 2) {
            ch.writeBlocked = false;
            if (ch.state == Channel.State.OPEN) {
                invoke(ch, () -> ch.handler.readyToWrite(ch));
            }
        }
        if (!writableWaiters.isEmpty()) {
            completeWaiters();
        }
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
                sendOwned(ch, type, copy, len, null);
            } else if (ch.lost.lostLater(len)) {
                transport.execute(() -> ch.lost.report(ch, "written from another thread after the channel closed"));
            }
            if (ch.writeBlocked && offLoopBytes.get() <= config.writeHighWater() / 2 && !transport.writeQueueFull()) {
                notifyWritable();
            }
        });
        // The channel's own send queue counts too (as last seen from this thread), or a writer
        // on another thread fills it without bound while the peer grants no credit.
        boolean channelFull = ch.queuedBytes > flow.channelSendBuffer() && !ChannelType.MEDIA.equals(ch.type());
        if (queued > config.writeHighWater() || channelFull) {
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
            Waiter w = new Waiter(ch, f);
            if (w.mayGo()) {
                f.complete(null);
            } else {
                writableWaiters.add(w);
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
            return !transport.writeQueueFull() && offLoopBytes.get() <= config.writeHighWater()
                    && (channel == null || writerMayResume(channel));
        }
    }

    private void completeWaiters() {
        List<Waiter> ready = null;
        for (Iterator<Waiter> it = writableWaiters.iterator(); it.hasNext(); ) {
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

    private void notifyWritable() {
        output.drained();
        pump(); // queued frames first: they were written before anything a woken writer adds
        if (!writableWaiters.isEmpty()) {
            completeWaiters();
        }
        if (!blockedWriters) {
            return;
        }
        blockedWriters = false;
        for (Channel ch : channels.all()) {
            if (ch.writeBlocked) {
                if (!writerMayResume(ch) || transport.writeQueueFull()) {
                    blockedWriters = true; // still full: woken by the pump as its queue goes
                    continue;
                }
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
        FrameKey key = sendKey == null ? null : ch != null && ch.sendKey != null ? ch.sendKey : sendKey;
        if (key != null && chId != 0) {
            keepNonceFresh(key, chId, seq);
        }
        int wire = key == null ? len : len + FrameCipher.TAG_SIZE;
        int frame = FrameHeader.SIZE + wire;
        ByteBuffer out = transport.claim(frame);
        int at = out.position();
        FrameHeader.write(out, at, wire, type, seq, chId, key == null ? 0 : Flags.ENCRYPTED);
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
        if (key != null) {
            key.cipher.seal(out, at, len); // the observer saw plaintext; the wire gets ciphertext
            key.frames++;
            key.bytes += len;
        }
        transport.commit(frame);
        sent(ch, key, type, chId, seq, frame, len, 0);
        if (observerFailure != null) {
            handlerFailed(ch, observerFailure);
        }
    }

    /**
     * A queued message's next frame: the whole message, or its next fragment (a
     * {@link FragmentHeader} before the data, FRAGMENTED unless it is the last).
     * Its packetOut observer saw the message when it was queued.
     */
    private int sendQueuedFrame(Channel ch, OutboundMessage m, int chunk) {
        boolean fragment = m.fragmented();
        boolean more = fragment && m.done + chunk < m.length;
        return sendAppFrame(ch, m.type, ByteBuffer.wrap(m.data), m.done, chunk, fragment ? m.length : -1, m.done, more);
    }

    /**
     * One application frame: the data, after a {@link FragmentHeader} when {@code total >= 0};
     * compressed when the channel compresses and it pays; then sealed. The send order of
     * PROTOCOL.md section 8: fragment, compress, encrypt.
     */
    /** @return the frame's size on the wire */
    private int sendAppFrame(Channel ch, PacketType type, ByteBuffer data, int from, int len, long total, long fragmentOffset, boolean more) {
        int seq = ch.seqOut++;
        FrameKey key = sendKey == null ? null : ch.sendKey != null ? ch.sendKey : sendKey;
        if (key != null) {
            keepNonceFresh(key, ch.id(), seq);
        }
        int headerBytes = total >= 0 ? FragmentHeader.SIZE : 0;
        int plain = headerBytes + len;
        int tag = key == null ? 0 : FrameCipher.TAG_SIZE;
        boolean tryCompress = ch.compressor != null && plain >= ch.compressMin;
        int room = tryCompress ? Math.max(plain, Lz4Payload.maxCompressedLength(plain)) : plain;
        ByteBuffer out = transport.claim(FrameHeader.SIZE + room + tag);
        int at = out.position();
        int payloadAt = at + FrameHeader.SIZE;
        int flags = (more ? Flags.FRAGMENTED : 0) | (key == null ? 0 : Flags.ENCRYPTED);
        int payload = -1;
        if (tryCompress) {
            ByteBuffer source = data;
            int sourceAt = from;
            if (headerBytes > 0) { // header and data must be one contiguous input
                if (compressScratch == null) {
                    compressScratch = ByteBuffer.allocate(FragmentHeader.SIZE + OutboundMessage.FRAGMENT_DATA);
                }
                FragmentHeader.write(compressScratch, 0, total, fragmentOffset);
                compressScratch.put(FragmentHeader.SIZE, data, from, len);
                source = compressScratch;
                sourceAt = 0;
            }
            payload = ch.compressor.compress(source, sourceAt, plain, out, payloadAt);
            if (payload >= 0) {
                flags |= Flags.COMPRESSED;
                counters.compressionSaved(plain - payload);
            }
        }
        if (payload < 0) {
            if (headerBytes > 0) {
                FragmentHeader.write(out, payloadAt, total, fragmentOffset);
            }
            out.put(payloadAt + headerBytes, data, from, len);
            payload = plain;
        }
        FrameHeader.write(out, at, payload + tag, type, seq, ch.id(), flags);
        if (key != null) {
            key.cipher.seal(out, at, payload);
            key.frames++;
            key.bytes += payload;
        }
        int frame = FrameHeader.SIZE + payload + tag;
        transport.commit(frame);
        sent(ch, key, type, ch.id(), seq, frame, len, flags);
        return frame;
    }

    /** Counters, trace and the key's limits after a frame went into the batch. */
    private void sent(Channel ch, FrameKey key, PacketType type, int chId, int seq, int frame, int len, int flags) {
        packetsSent++;
        bytesSent += frame;
        // Keepalives do not make the write side busy: both ends then ping when idle, so
        // each measures the round trip itself instead of only answering the other's pings.
        if (type != PacketType.KEEPALIVE) {
            wroteSinceTick = true;
        }
        if (FrameTrace.enabled()) {
            FrameTrace.frame(id, false, type, chId, seq, len, flags);
        }
        if (ch != null) {
            ch.packetsSent++;
            ch.bytesSent += len;
        }
        if (key != null && (key.frames >= security.rekeyFrames() || key.bytes >= security.rekeyBytes()) && !rekeying) {
            updateSendingKey(key);
        }
    }

    /**
     * Before sealing a frame on channel {@code chId} under {@code key}: the first frame of a
     * channel whose id already carried frames under the stream key's current epoch (an earlier
     * channel on the same id) would repeat their nonces, so the stream key moves to the next
     * epoch first (PROTOCOL.md section 22).
     */
    private void keepNonceFresh(FrameKey key, int chId, int seq) {
        if (key.wouldRepeatNonce(chId, seq)) {
            updateSendingKey(key);
        }
        key.used(chId);
    }

    /** KEY_UPDATE for {@code key}, sealed under its old epoch; what follows is sealed under the next. */
    private void updateSendingKey(FrameKey key) {
        if (!key.canRotate()) {
            // Four billion epochs: never in practice, but sealing on under the last one could repeat a nonce.
            ProtocolException spent = new ProtocolException(ErrorCode.RESOURCE_EXHAUSTED, "every key epoch of "
                    + (key.channelId == 0 ? "the stream" : "channel " + key.channelId) + " is used up");
            fail(spent);
            throw new StreamException(ErrorCode.RESOURCE_EXHAUSTED, spent.getMessage());
        }
        rekeying = true;
        try {
            long next = Integer.toUnsignedLong(key.epoch()) + 1;
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.KeyUpdate(key.channelId, next)));
            key.rotate();
        } finally {
            rekeying = false;
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
        if (ch != null && ch.id() == chId && type == PacketType.DATA && seq == ch.seqIn && flags == expectedFlags
                && ch.state != Channel.State.OPENING && !ch.handlerFailed && ch.reassembly == null && !ch.pullMode() && !ch.paused) {
            receiveFast(ch, seq, flags, payload, size);
            return;
        }
        onFrameChecked(type, seq, chId, flags, payload, size);
    }

    /** The fast path's work, a method of its own so that onFrame stays small enough to inline into the decoder. */
    private void receiveFast(Channel ch, int seq, int flags, ByteBuffer payload, int size) throws ProtocolException {
        ch.seqIn++;
        if (flags != 0) {
            size = open(ch.receiveKey != null ? ch.receiveKey : receiveKey, PacketType.DATA, seq, ch.id(), flags, payload);
        }
        if ((ch.receiveCredit -= size) < 0 || (receiveCredit -= size) < 0) {
            throw overCredit(ch, size);
        }
        ch.packetsReceived++;
        ch.bytesReceived += size;
        try {
            ch.handler.packetIn(ch, PacketType.DATA, payload);
        } catch (RuntimeException e) {
            handlerFailed(ch, e);
        }
        // Both sums, then one test: a WINDOW_UPDATE is due every half window only.
        if ((ch.grantPending += size) >= ch.grantThreshold | (grantPending += size) >= streamGrantThreshold) {
            grantDue(ch, true);
        }
    }

    private void onFrameChecked(PacketType type, int seq, int chId, int flags, ByteBuffer payload, int size) throws ProtocolException {
        if (chId == 0) {
            if (seq != seqIn) {
                throw badSequence(0, seqIn, seq);
            }
            seqIn++;
            unprotect(receiveKey, null, type, seq, 0, flags, payload);
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
        unprotect(ch.receiveKey != null ? ch.receiveKey : receiveKey, ch, type, seq, chId, flags, payload);
        ch.packetsReceived++;
        lastReceiver = ch;
        switch (type) {
            case DATA, CONTROL -> receiveMessage(ch, type, flags, payload);
            case CLOSE, ERROR -> {
                ch.bytesReceived += payload.remaining();
                onChannelClose(ch, type, CloseReason.decode(payload));
            }
            case KEEPALIVE -> throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "KEEPALIVE on channel " + chId + "; keepalives belong to ch 0");
        }
    }

    /**
     * Checks a received frame's flags and, on an encrypted stream, opens it in place
     * ({@code payload}'s limit is moved to the plaintext's end).
     */
    private void unprotect(FrameKey key, Channel ch, PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        if (expectedFlags != 0 && (flags & Flags.ENCRYPTED) == 0) {
            throw new ProtocolException(ErrorCode.NOT_ENCRYPTED, type + " on channel " + chId + " seq " + Integer.toUnsignedString(seq)
                    + " is not encrypted; after the handshake every frame is");
        }
        int transforms = flags & ~expectedFlags;
        if ((transforms & ~allowedTransforms(ch, type)) != 0) {
            throw new ProtocolException(ErrorCode.FLAG_NOT_NEGOTIATED, String.format(
                    "flags 0x%02x on %s %s; %s", flags, type, chId == 0 ? "ch 0" : "channel " + chId, notNegotiated(ch, type, transforms)));
        }
        if (expectedFlags != 0) {
            open(key, type, seq, chId, flags, payload);
        }
    }

    /** COMPRESSED on channels that negotiated it (DATA, CONTROL); FRAGMENTED on DATA. Nothing on ch 0, CLOSE, ERROR. */
    private static int allowedTransforms(Channel ch, PacketType type) {
        if (ch == null || (type != PacketType.DATA && type != PacketType.CONTROL)) {
            return 0;
        }
        int compressed = ch.compression ? Flags.COMPRESSED : 0;
        return type == PacketType.DATA ? compressed | Flags.FRAGMENTED : compressed;
    }

    private String notNegotiated(Channel ch, PacketType type, int transforms) {
        if ((transforms & Flags.ENCRYPTED) != 0) {
            return "encryption was not negotiated (plaintext stream)";
        }
        if ((transforms & ~Flags.DEFINED) != 0) {
            return "reserved bits";
        }
        if (ch == null || (type != PacketType.DATA && type != PacketType.CONTROL)) {
            return "compression and fragmentation apply to DATA and CONTROL packets on channels only";
        }
        if ((transforms & Flags.COMPRESSED) != 0 && !ch.compression) {
            return "compression was not negotiated when the channel opened";
        }
        return "only DATA messages are fragmented";
    }

    /** A DATA or CONTROL frame on a channel after decryption: decompress, reassemble, check credit, deliver. */
    private void receiveMessage(Channel ch, PacketType type, int flags, ByteBuffer payload) throws ProtocolException {
        if ((flags & Flags.COMPRESSED) != 0) {
            payload = inflate(ch, type, payload);
        }
        if (type == PacketType.CONTROL && payload.remaining() > FrameLimits.DEFAULT_MESSAGE_PAYLOAD) {
            // What no sender may write (section 6) no receiver hands on: a service that
            // answers in kind (ECHO) could not send it back.
            throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "CONTROL packet of " + payload.remaining() + " bytes on channel "
                    + ch.id() + "; a channel's CONTROL packets are at most " + FrameLimits.DEFAULT_MESSAGE_PAYLOAD);
        }
        if ((flags & Flags.FRAGMENTED) != 0 || ch.reassembly != null) {
            if (type != PacketType.DATA) {
                throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, type + " on channel " + ch.id()
                        + " in the middle of a fragmented message");
            }
            receiveFragment(ch, (flags & Flags.FRAGMENTED) != 0, payload);
            return;
        }
        int size = payload.remaining();
        takeCredit(ch, size);
        ch.bytesReceived += size;
        deliver(ch, type, payload, false);
    }

    /** Decompresses into {@link #inflated}; the declared length is checked against the frame limit before any work. */
    private ByteBuffer inflate(Channel ch, PacketType type, ByteBuffer payload) throws ProtocolException {
        int limit = config.maxFramePayload();
        if (inflated == null) {
            inflated = ByteBuffer.allocate(limit);
        }
        inflated.clear();
        int size;
        try {
            size = Lz4Payload.decompress(payload, payload.position(), payload.remaining(), inflated, 0, limit);
        } catch (CompressionException e) {
            throw new ProtocolException(ErrorCode.DECOMPRESSION_FAILED, "COMPRESSED " + type + " on channel " + ch.id() + ": " + e.getMessage());
        }
        inflated.limit(size).position(0);
        return inflated;
    }

    private void receiveFragment(Channel ch, boolean more, ByteBuffer payload) throws ProtocolException {
        FragmentHeader header = FragmentHeader.read(payload);
        payload.position(payload.position() + FragmentHeader.SIZE);
        int size = payload.remaining();
        Reassembly r = ch.reassembly;
        if (r == null) {
            if (header.offset() != 0) {
                throw new ProtocolException(ErrorCode.UNKNOWN_FRAGMENT, "channel " + ch.id() + ": fragment at offset "
                        + header.offset() + " of a " + header.total() + "-byte message that was never started");
            }
            if (header.total() > maxMessage) {
                throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "channel " + ch.id() + ": a " + header.total()
                        + "-byte message exceeds the limit of " + maxMessage + " bytes");
            }
            if (header.total() <= size) {
                throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": first fragment holds all "
                        + header.total() + " bytes of its message but says more follow");
            }
            r = new Reassembly(header.total(), clock.nanoTime());
            holdReassembly(ch, r.capacity());
            ch.reassembly = r;
            reassembling++;
        } else if (header.total() != r.total || header.offset() != r.received()) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": fragment at offset "
                    + header.offset() + " of a " + header.total() + "-byte message; expected offset " + r.received() + " of " + r.total);
        }
        long end = r.received() + (long) size;
        if (end > r.total || (!more && end != r.total)) {
            throw new ProtocolException(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel " + ch.id() + ": fragment ends at " + end
                    + (more ? ", past" : ", but the message ends at") + " the message's " + r.total + " bytes");
        }
        takeCredit(ch, size);
        int grown = r.append(payload, clock.nanoTime());
        if (grown > 0) {
            holdReassembly(ch, grown);
        }
        ch.bytesReceived += size;
        // Reassembly took the bytes (it has its own limit): credit flows back as fragments come,
        // so a message larger than the window still completes. On a push channel that is the
        // application's pace (its handler takes each message as it completes), so the windows
        // may grow; a pull or paused channel's messages wait unread, so they may not.
        consumed(ch, size, !ch.pullMode() && !ch.paused);
        if (!more) {
            ch.reassembly = null;
            reassembling--;
            reassemblyBytes -= r.capacity();
            deliver(ch, PacketType.DATA, r.message(), true);
        }
    }

    private void holdReassembly(Channel ch, int bytes) throws ProtocolException {
        reassemblyBytes += bytes;
        if (reassemblyBytes > flow.maxReassemblyBytes()) {
            throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, "channel " + ch.id() + ": fragmented messages in progress hold "
                    + reassemblyBytes + " bytes, over this stream's reassembly limit of " + flow.maxReassemblyBytes());
        }
    }

    /** The peer used {@code size} bytes of its credit on {@code ch}. */
    private void takeCredit(Channel ch, int size) throws ProtocolException {
        if ((ch.receiveCredit -= size) < 0 || (receiveCredit -= size) < 0) {
            throw overCredit(ch, size);
        }
    }

    private ProtocolException overCredit(Channel ch, int size) {
        boolean channel = ch.receiveCredit < 0;
        return new ProtocolException(ErrorCode.FLOW_CONTROL_VIOLATION, (channel ? "channel " + ch.id() : "the stream") + ": "
                + size + " payload bytes arrived beyond the credit granted (" + (channel ? ch.receiveCredit : receiveCredit) + " after them)");
    }

    /**
     * The application took {@code size} bytes (handled in push mode, read in pull mode, or
     * taken by reassembly): grant them back once half a window has gathered.
     * {@code byApplication}: the application's own pace (may grow the windows), not bytes that
     * wait unread in reassembly or were dropped.
     */
    private void consumed(Channel ch, long size, boolean byApplication) {
        ch.grantPending += size;
        grantPending += size;
        grantDue(ch, byApplication);
    }

    /**
     * Sends the WINDOW_UPDATEs that half a window of consumed bytes has made due (channel, stream).
     * Only consumption by the application may grow a window (WindowGrowth): bytes taken by
     * reassembly say nothing about how fast the application reads.
     */
    private void grantDue(Channel ch, boolean mayGrow) {
        if (ch.grantPending >= ch.grantThreshold && ch.state == Channel.State.OPEN && !closing) {
            long grant = ch.grantPending;
            ch.grantPending = 0;
            long now = clock.nanoTime();
            long grown = mayGrow ? WindowGrowth.grown(ch.receiveWindow, flow.maxChannelWindow(), now - ch.lastGrantNanos) : ch.receiveWindow;
            if (grown > ch.receiveWindow) {
                grant += grown - ch.receiveWindow;
                ch.receiveWindow = grown;
                ch.grantThreshold = grown / 2;
            }
            ch.lastGrantNanos = now;
            ch.receiveCredit += grant;
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.WindowUpdate(ch.id(), grant)));
        }
        grantStreamDue(mayGrow);
    }

    /** Bytes consumed on the stream window only (a closed channel's held bytes). */
    private void grantStream(long size) {
        grantPending += size;
        grantStreamDue(false);
    }

    /** A WINDOW_UPDATE(0) once half the stream window has gathered. */
    private void grantStreamDue(boolean mayGrow) {
        if (grantPending >= streamGrantThreshold && state == StreamState.ACTIVE && !closing) {
            long grant = grantPending;
            grantPending = 0;
            long now = clock.nanoTime();
            long grown = mayGrow ? WindowGrowth.grown(streamReceiveWindow, flow.maxStreamWindow(), now - lastStreamGrantNanos) : streamReceiveWindow;
            if (grown > streamReceiveWindow) {
                grant += grown - streamReceiveWindow;
                streamReceiveWindow = grown;
                streamGrantThreshold = grown / 2;
            }
            lastStreamGrantNanos = now;
            receiveCredit += grant;
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.WindowUpdate(0, grant)));
        }
    }

    /** A configured window above the protocol's initial one: the difference is granted at once. */
    private void grantInitialWindow(Channel ch) {
        ch.receiveWindow = flow.channelWindow();
        ch.grantThreshold = flow.channelWindow() / 2;
        ch.lastGrantNanos = clock.nanoTime();
        long extra = flow.channelWindow() - (long) FlowWindow.INITIAL_CHANNEL_WINDOW;
        if (extra > 0) {
            ch.receiveCredit += extra;
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.WindowUpdate(ch.id(), extra)));
        }
    }

    private void onWindowUpdate(ControlMessage.WindowUpdate update) throws ProtocolException {
        if (update.channelId() == 0) {
            sendCredit += update.increment();
            if (sendCredit > FlowWindow.MAX_WINDOW) {
                throw new ProtocolException(ErrorCode.FLOW_CONTROL_VIOLATION, "WINDOW_UPDATE grew the stream window to "
                        + sendCredit + ", past 2^31-1");
            }
            if (streamCreditStalled) {
                streamCreditStalled = false;
                pump();
            }
            return;
        }
        Channel ch = channels.get(update.channelId());
        if (ch == null) {
            return; // closed meanwhile, or refused at open: nothing to send there
        }
        ch.sendCredit += update.increment();
        if (ch.sendCredit > FlowWindow.MAX_WINDOW) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_VIOLATION, "WINDOW_UPDATE grew channel " + ch.id() + "'s window to "
                    + ch.sendCredit + ", past 2^31-1");
        }
        if (ch.creditStalled) {
            ch.creditStalled = false;
            ring(ch);
            pump();
        }
    }

    /** The peer opened a channel id again and did not move to a new epoch first (its message built off the hot path). */
    private static ProtocolException nonceRepeated(FrameKey key, int chId) {
        return new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "channel " + chId + " opened again and its seq 0 sent under key epoch "
                + Integer.toUnsignedString(key.epoch()) + ", which already carried that channel id: a KEY_UPDATE must come first");
    }

    private int open(FrameKey key, PacketType type, int seq, int chId, int flags, ByteBuffer payload) throws ProtocolException {
        int size = payload.remaining();
        if (chId != 0) {
            if (key.wouldRepeatNonce(chId, seq)) {
                throw nonceRepeated(key, chId);
            }
            key.used(chId);
        }
        int plain;
        try {
            plain = key.cipher.open(size, type.code(), seq, chId, flags, payload);
        } catch (AeadFailure e) {
            throw new ProtocolException(ErrorCode.DECRYPT_FAILED, type + " on channel " + chId + " seq "
                    + Integer.toUnsignedString(seq) + " failed authentication");
        }
        if (++key.frames > StreamSecurity.MAX_FRAMES_PER_KEY) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "peer sent more than " + StreamSecurity.MAX_FRAMES_PER_KEY
                    + " frames under one key without KEY_UPDATE");
        }
        payload.limit(payload.position() + plain);
        return plain;
    }

    private void onStreamFrame(PacketType type, ByteBuffer payload) throws ProtocolException {
        switch (type) {
            case CONTROL -> {
                int kind = payload.hasRemaining() ? payload.get(payload.position()) & 0xFF : -1;
                if (HandshakeMessage.isHandshakeKind(kind)) {
                    onHandshakeMessage(kind, payload);
                } else {
                    onControl(ControlCodec.decode(payload));
                }
            }
            case KEEPALIVE -> {
                requireActive("KEEPALIVE");
                KeepAlivePayload ka = KeepAlivePayload.decode(payload);
                if (ka.pong()) {
                    long rtt = keepAlive.onPong(clock.nanoTime(), ka.timestamp());
                    if (rtt >= 0) {
                        counters.roundTrip(rtt);
                    } else {
                        counters.pongIgnored();
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
        } else if (message instanceof ControlMessage.WindowUpdate update) {
            requireActive("WINDOW_UPDATE");
            onWindowUpdate(update);
        } else if (message instanceof ControlMessage.KeyUpdate update) {
            onKeyUpdate(update);
        } else if (message instanceof ControlMessage.ChannelKey request) {
            onChannelKey(request);
        } else if (message instanceof ControlMessage.ChannelKeyAck ack) {
            onChannelKeyAck(ack);
        } else if (message instanceof ControlMessage.ChannelKeyActive active) {
            onChannelKeyActive(active);
        } else if (message instanceof ControlMessage.GoAway goAway) {
            requireActive("GOAWAY");
            if (!peerGoingAway.isDone()) { // a repeated GOAWAY changes nothing
                listener.goingAway(this, goAway);
                peerGoingAway.complete(goAway);
            }
        } else if (message instanceof ControlMessage.OpenReject reject) {
            requireActive("OPEN_REJECT");
            Channel ch = pendingOpen(reject.channelId(), "OPEN_REJECT");
            counters.errorReceived(reject.code());
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
        if (security != null) {
            throw new ProtocolException(ErrorCode.SECURITY_REQUIRED, "this node accepts only secure streams: start with CLIENT_HELLO");
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
        if (role != StreamRole.CONNECTOR || state != StreamState.SETUP || security != null) {
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
        adoptPeerKeepAlive(welcome.keepAliveTimeoutMillis());
        becomeActive();
    }

    private void adoptPeerKeepAlive(int peerTimeoutMillis) {
        // Ping often enough for the peer's timeout too: three pings per peer timeout.
        long peerTimeout = TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(peerTimeoutMillis));
        long interval = Math.min(config.keepAliveInterval().toNanos(), Math.max(1_000_000, peerTimeout / 3));
        if (peerTimeout > 0 && interval < config.keepAliveInterval().toNanos()) {
            keepAlive = newKeepAlive(interval, clock.nanoTime());
            ticker.cancel();
            ticker = transport.every(KeepAlive.tickMillis(interval, config.keepAliveTimeout().toNanos()), this::tick);
        }
    }

    // ---------------------------------------------------------------- secure handshake

    private void onHandshakeMessage(int kind, ByteBuffer payload) throws ProtocolException {
        if (state != StreamState.SETUP) {
            throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, "handshake message after the handshake completed");
        }
        if (security == null) {
            throw new ProtocolException(ErrorCode.NO_COMMON_SUITE, role == StreamRole.ACCEPTOR
                    ? "this node has security disabled and speaks only the plaintext HELLO setup"
                    : "handshake message on a plaintext stream");
        }
        byte[] raw = new byte[payload.remaining()];
        payload.duplicate().get(raw);
        if (handshakeStepRunning) {
            // The peer must wait for our answer to its last message: whatever it sends now is out of order.
            throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, String.format(
                    "handshake message 0x%02x is out of order: the previous one is still being answered", kind));
        }
        try {
            if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_CLIENT_HELLO
                    && serverHandshake.state() == ServerHandshake.State.WAIT_CLIENT_HELLO) {
                ServerHandshake hs = serverHandshake;
                int keepAliveMillis = (int) config.keepAliveTimeout().toMillis();
                Session[] created = new Session[1]; // made on the worker (Sessions is thread-safe), attached on the loop
                handshakeStep(() -> hs.onClientHello(raw, claimed -> {
                    created[0] = sessions.create(claimed);
                    return created[0].id();
                }, keepAliveMillis), hello -> {
                    node = hs.claimedNode();
                    attachSession(created[0]);
                    sendStreamFrame(PacketType.CONTROL, hello);
                }, unused -> {
                    if (created[0] != null) {
                        sessions.delete(created[0]);
                    }
                });
            } else if (role == StreamRole.ACCEPTOR && kind == HandshakeMessage.KIND_CLIENT_FINISH
                    && serverHandshake.state() == ServerHandshake.State.WAIT_CLIENT_FINISH) {
                ServerHandshake hs = serverHandshake;
                handshakeStep(() -> hs.onClientFinish(raw), finish -> {
                    sendStreamFrame(PacketType.CONTROL, finish.serverFinish());
                    secured(finish.result());
                    becomeActive();
                }, finish -> {
                    if (finish != null) {
                        finish.result().secrets().close();
                    }
                });
            } else if (role == StreamRole.CONNECTOR && kind == HandshakeMessage.KIND_SERVER_HELLO
                    && clientHandshake.state() == ClientHandshake.State.WAIT_SERVER_HELLO) {
                ClientHandshake hs = clientHandshake;
                handshakeStep(() -> hs.onServerHello(raw), finish -> sendStreamFrame(PacketType.CONTROL, finish), null);
            } else if (role == StreamRole.CONNECTOR && kind == HandshakeMessage.KIND_SERVER_FINISH
                    && clientHandshake.state() == ClientHandshake.State.WAIT_SERVER_FINISH) {
                HandshakeResult result = clientHandshake.onServerFinish(raw);
                attachSession(new Session(result.sessionId(), result.node(), clock.currentTimeMillis()));
                secured(result);
                adoptPeerKeepAlive(result.keepAliveTimeoutMillis());
                becomeActive();
            } else {
                throw new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, String.format(
                        "handshake message 0x%02x is out of order for the %s side", kind, role.name().toLowerCase()));
            }
        } catch (HandshakeException e) {
            counters.handshake(HandshakeOutcome.of(e.code()));
            throw new ProtocolException(e.code(), e.getMessage());
        }
    }

    /**
     * Runs a handshake step's crypto ({@code work}) on the handshake workers and {@code then}
     * with its result back on this stream's loop, the only place stream state is touched.
     * {@code cleanup} gets what is not used when the step failed (null) or the stream ended
     * while it ran. Inline work on the loop (unit tests) does all of it now, as a plain call.
     *
     * @throws ProtocolException HANDSHAKE_BUSY when the workers refuse the job; inline, the step's own failure
     */
    private <T> void handshakeStep(HandshakeStep.Work<T> work, HandshakeStep.Then<T> then, Consumer<T> cleanup) throws ProtocolException {
        HandshakeStep<T> step = new HandshakeStep<>(work);
        handshakeStepRunning = true;
        boolean[] inline = {false};
        boolean taken = (security.work() == null ? HandshakeWork.INLINE : security.work()).submit(() -> {
            if (!ended) {
                // A connection that went away while its step waited costs no signature: its
                // admission slot is free already, so its work must not outlive it in the queue.
                step.run();
            }
            if (transport.inLoop()) {
                inline[0] = true;
            } else {
                transport.execute(() -> {
                    try {
                        handshakeStepDone(step, then, cleanup);
                    } catch (ProtocolException e) {
                        fail(e);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.ERROR, "internal error on " + this, e);
                        fail(new ProtocolException(ErrorCode.INTERNAL_ERROR, "internal error"));
                    }
                });
            }
        });
        if (!taken) {
            handshakeStepRunning = false;
            counters.handshake(HandshakeOutcome.REJECTED_BUSY);
            throw new ProtocolException(ErrorCode.HANDSHAKE_BUSY, "every handshake worker is busy and its queue is full");
        }
        if (inline[0]) {
            handshakeStepDone(step, then, cleanup);
        }
    }

    /** On the loop: a handshake step's result, applied unless the stream ended while it ran. */
    private <T> void handshakeStepDone(HandshakeStep<T> step, HandshakeStep.Then<T> then, Consumer<T> cleanup) throws ProtocolException {
        handshakeStepRunning = false;
        if (state == StreamState.CLOSED) {
            // finish() left the handshake alone while the worker used it: wipe it now.
            if (clientHandshake != null) {
                clientHandshake.fail();
            }
            if (serverHandshake != null) {
                serverHandshake.fail();
            }
            if (cleanup != null) {
                cleanup.accept(step.result());
            }
            return;
        }
        if (step.failure() != null || step.bug() != null) {
            if (cleanup != null) {
                cleanup.accept(null);
            }
            if (step.bug() != null) {
                throw step.bug();
            }
            counters.handshake(HandshakeOutcome.of(step.failure().code()));
            throw new ProtocolException(step.failure().code(), step.failure().getMessage());
        }
        then.accept(step.result());
    }

    /** The handshake is done: from the next frame on, everything is sealed both ways. */
    private void secured(HandshakeResult result) {
        // The handshake's transcript and messages are no longer needed: let them go.
        clientHandshake = null;
        serverHandshake = null;
        secrets = result.secrets();
        peer = result.peer();
        node = result.node();
        sendKey = new FrameKey(0, secrets.sending());
        receiveKey = new FrameKey(0, secrets.receiving());
        expectedFlags = Flags.ENCRYPTED;
        counters.handshake(HandshakeOutcome.SUCCESS);
    }

    /** KEY_UPDATE: the peer's frames under that key move to the next epoch after this one. */
    private void onKeyUpdate(ControlMessage.KeyUpdate update) throws ProtocolException {
        requireActive("KEY_UPDATE");
        requireEncrypted("KEY_UPDATE");
        FrameKey key;
        if (update.channelId() == 0) {
            key = receiveKey;
        } else {
            Channel ch = channels.get(update.channelId());
            key = ch == null ? null : ch.receiveKey;
            if (key == null) {
                throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "KEY_UPDATE for channel " + update.channelId()
                        + ", which has no key of its own");
            }
        }
        long expected = Integer.toUnsignedLong(key.epoch()) + 1;
        if (update.epoch() != expected) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "KEY_UPDATE to epoch " + update.epoch() + " for channel "
                    + update.channelId() + "; the next epoch is " + expected);
        }
        key.rotate();
    }

    /** The peer asks to give a channel its own key. */
    private void onChannelKey(ControlMessage.ChannelKey request) throws ProtocolException {
        requireActive("CHANNEL_KEY");
        requireEncrypted("CHANNEL_KEY");
        // Every request counts, whatever its answer: both sides agree on the generation.
        if (++channelKeysReceived > KeySchedule.MAX_CHANNEL_KEY_REQUESTS) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "more than " + KeySchedule.MAX_CHANNEL_KEY_REQUESTS
                    + " CHANNEL_KEY requests on one stream");
        }
        int generation = KeySchedule.channelKeyGeneration(channelKeysReceived, role == StreamRole.CONNECTOR);
        Channel ch = channels.get(request.channelId());
        if (ch == null || ch.state != Channel.State.OPEN) {
            answerChannelKey(request.channelId(), ErrorCode.KEY_REJECTED);
            return;
        }
        if (ch.pendingKey != null) {
            if (role == StreamRole.ACCEPTOR) {
                // Both asked at once: the connector's request wins, ours is dropped.
                PendingChannelKey dropped = ch.pendingKey;
                ch.pendingKey = null;
                dropped.secrets().close();
                dropped.result().completeExceptionally(new StreamException(ErrorCode.KEY_REJECTED,
                        "channel " + ch.id() + ": the peer asked for a channel key at the same time; its request won"));
            } else {
                answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
                return;
            }
        }
        byte[] applicationKey = null;
        if (request.mode() == ControlMessage.KEY_MODE_APPLICATION) {
            applicationKey = channelKeyOf(ch);
            if (applicationKey == null) {
                answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
                return;
            }
        }
        SessionSecrets.ChannelSecrets keys = secrets.channel(ch.id(), generation, applicationKey);
        if (!org.dapstream.crypto.ConstantTime.equals(keys.check(), request.check())) {
            keys.close();
            answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
            return;
        }
        answerChannelKey(ch.id(), null);
        // Our frames on the channel after the ACK use the channel key; the peer's after its CHANNEL_KEY_ACTIVE.
        replaceKey(ch, true, new FrameKey(ch.id(), keys.sending()));
        closeQuietly(ch.nextReceiveKey);
        ch.nextReceiveKey = new FrameKey(ch.id(), keys.receiving());
    }

    private byte[] channelKeyOf(Channel ch) {
        try {
            byte[] key = ch.handler.encryptionKey(ch);
            return key != null && key.length == 32 ? key : null;
        } catch (RuntimeException e) {
            CallbackFailure.log(LOG, "encryptionKey callback of " + ch + " threw; refusing the channel key", e);
            return null;
        }
    }

    private void answerChannelKey(int chId, ErrorCode refusal) {
        if (refusal != null) {
            counters.errorSent(refusal);
        }
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.ChannelKeyAck(chId, refusal == null ? 0 : refusal.code())));
    }

    /** The peer's answer to our CHANNEL_KEY. */
    private void onChannelKeyAck(ControlMessage.ChannelKeyAck ack) throws ProtocolException {
        requireActive("CHANNEL_KEY_ACK");
        requireEncrypted("CHANNEL_KEY_ACK");
        Channel ch = channels.get(ack.channelId());
        PendingChannelKey pending = ch == null ? null : ch.pendingKey;
        if (pending == null) {
            return; // a request we dropped (the peer's won, or the channel closed); nothing switched
        }
        ch.pendingKey = null;
        if (ack.status() != 0) {
            pending.secrets().close();
            ErrorCode code = ErrorCode.fromCode(ack.status());
            pending.result().completeExceptionally(new StreamException(code == null ? ErrorCode.KEY_REJECTED : code,
                    "peer refused a key of its own for channel " + ch.id() + " (it has no such key, or a different one)"));
            return;
        }
        // The peer's frames after its ACK are under the channel key; ours after CHANNEL_KEY_ACTIVE.
        replaceKey(ch, false, new FrameKey(ch.id(), pending.secrets().receiving()));
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.ChannelKeyActive(ch.id())));
        replaceKey(ch, true, new FrameKey(ch.id(), pending.secrets().sending()));
        pending.result().complete(null);
    }

    private void onChannelKeyActive(ControlMessage.ChannelKeyActive active) throws ProtocolException {
        requireActive("CHANNEL_KEY_ACTIVE");
        requireEncrypted("CHANNEL_KEY_ACTIVE");
        Channel ch = channels.get(active.channelId());
        if (ch == null) {
            return; // closed meanwhile: its frames are refused as CHANNEL_CLOSED anyway
        }
        if (ch.nextReceiveKey == null) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "CHANNEL_KEY_ACTIVE for channel " + ch.id()
                    + " without an accepted CHANNEL_KEY");
        }
        replaceKey(ch, false, ch.nextReceiveKey);
        ch.nextReceiveKey = null;
    }

    private void replaceKey(Channel ch, boolean sending, FrameKey key) {
        FrameKey old = sending ? ch.sendKey : ch.receiveKey;
        if (sending) {
            ch.sendKey = key;
        } else {
            ch.receiveKey = key;
        }
        closeQuietly(old);
    }

    private static void closeQuietly(FrameKey key) {
        if (key != null) {
            key.close();
        }
    }

    /** {@code dap_stream_ch_set_encryption}: see {@link Channel#setEncryption(byte[])}. */
    CompletableFuture<Void> setChannelKey(Channel ch, byte[] applicationKey) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        byte[] key = applicationKey == null ? null : applicationKey.clone();
        onLoop(() -> {
            if (sendKey == null || state != StreamState.ACTIVE || closing) {
                result.completeExceptionally(new IllegalStateException("channel keys need an active encrypted stream; " + this
                        + (security == null ? " has security disabled" : " is not set up")));
            } else if (ch.state != Channel.State.OPEN) {
                result.completeExceptionally(new IllegalStateException("cannot set a key on " + ch));
            } else if (ch.pendingKey != null) {
                result.completeExceptionally(new IllegalStateException("a channel key request is already in flight on " + ch));
            } else if (channelKeysSent >= KeySchedule.MAX_CHANNEL_KEY_REQUESTS) {
                result.completeExceptionally(new IllegalStateException("this stream sent its last CHANNEL_KEY request ("
                        + KeySchedule.MAX_CHANNEL_KEY_REQUESTS + "); open a new stream"));
            } else {
                int generation = KeySchedule.channelKeyGeneration(++channelKeysSent, role == StreamRole.ACCEPTOR);
                SessionSecrets.ChannelSecrets keys = secrets.channel(ch.id(), generation, key);
                ch.pendingKey = new PendingChannelKey(generation, keys, result);
                sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.ChannelKey(ch.id(),
                        key == null ? ControlMessage.KEY_MODE_DERIVED : ControlMessage.KEY_MODE_APPLICATION, keys.check())));
            }
            org.dapstream.crypto.Secrets.wipe(key);
        });
        return result;
    }

    /** The epoch of the stream key we send under; -1 on a plaintext stream. For tests of the nonce rules. */
    long sendEpoch() {
        return sendKey == null ? -1 : Integer.toUnsignedLong(sendKey.epoch());
    }

    /** Moves what we send to the next key epoch now (on demand; it also happens before any limit). */
    public CompletableFuture<Void> rekey() {
        return rekey(null);
    }

    CompletableFuture<Void> rekey(Channel ch) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        onLoop(() -> {
            FrameKey key = ch == null ? sendKey : ch.sendKey;
            if (key == null || state != StreamState.ACTIVE || closing) {
                result.completeExceptionally(new IllegalStateException(ch == null
                        ? "rekey needs an active encrypted stream: " + this : ch + " has no key of its own"));
                return;
            }
            updateSendingKey(key);
            result.complete(null);
        });
        return result;
    }

    private void requireEncrypted(String what) throws ProtocolException {
        if (sendKey == null) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, what + " on a stream that is not encrypted");
        }
    }

    /** A channel's own keys die with it. */
    private static void wipeChannelKeys(Channel ch) {
        closeQuietly(ch.sendKey);
        closeQuietly(ch.receiveKey);
        closeQuietly(ch.nextReceiveKey);
        ch.sendKey = null;
        ch.receiveKey = null;
        ch.nextReceiveKey = null;
        PendingChannelKey pending = ch.pendingKey;
        if (pending != null) {
            ch.pendingKey = null;
            pending.secrets().close();
            pending.result().completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED, ch + " closed before the peer answered"));
        }
    }

    /** The stream's keys and the handshake's secrets, wiped when it ends. */
    private void wipeKeys() {
        closeQuietly(sendKey);
        closeQuietly(receiveKey);
        if (secrets != null) {
            secrets.close();
        }
        if (handshakeStepRunning) {
            return; // a worker is using the handshake; its step wipes it on return (handshakeStepDone)
        }
        if (clientHandshake != null) {
            clientHandshake.fail();
        }
        if (serverHandshake != null) {
            serverHandshake.fail();
        }
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
        lastStreamGrantNanos = clock.nanoTime();
        long extra = flow.streamWindow() - (long) FlowWindow.INITIAL_STREAM_WINDOW;
        if (extra > 0) { // before anything the application may send once ready completes
            receiveCredit += extra;
            sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.WindowUpdate(0, extra)));
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
        if ((open.options() & ~ControlMessage.OPTIONS_DEFINED) != 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format(
                    "OPEN_CHANNEL options 0x%02x; version 1 defines 0x01 (compression) only", open.options()));
        }
        if (goAwaySent) {
            reject(chId, ErrorCode.GOING_AWAY, "this node is going away");
            return;
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
        prepareFlow(ch, open.compression());
        channels.put(ch);
        everOpened.set(chId);
        sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.OpenAck(chId)));
        grantInitialWindow(ch);
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

    /**
     * Hands a message to the application, or holds it (pull mode, paused) uncredited until it
     * is read: so a reader that does not read stops its peer at the window.
     *
     * @param credited the bytes were already credited back (reassembly took them); holding them
     *                 then takes that credit back until they are read
     */
    private void deliver(Channel ch, PacketType type, ByteBuffer payload, boolean credited) {
        int size = payload.remaining();
        if (ch.handlerFailed) {
            if (!credited) {
                consumed(ch, size, false); // dropped: its handler failed and the channel is closing; keep the window open
            }
            return;
        }
        if (ch.pullMode() || ch.paused) {
            byte[] copy = new byte[size];
            payload.get(copy);
            if (credited) {
                ch.grantPending -= size;
                grantPending -= size;
            }
            ch.pulled.add(new Packet(type, copy));
            // Counted after the add, so a reader draining on another thread never sees a
            // count of 0 with a packet it has not taken: readyToRead fires on 0 -> 1 only.
            boolean wasEmpty = ch.pulledCount.getAndIncrement() == 0;
            ch.pulledBytes.addAndGet(size);
            output.held(); // empty messages take no credit: their count is bounded there
            if (wasEmpty && ch.pullMode()) {
                invoke(ch, () -> ch.handler.readyToRead(ch));
            }
            return;
        }
        try {
            ch.handler.packetIn(ch, type, payload); // no lambda: this is the per-packet hot path
        } catch (RuntimeException e) {
            handlerFailed(ch, e);
        }
        if (!credited) {
            consumed(ch, size, true);
        }
    }

    /** Pull mode: {@code size} bytes were read (any thread); they are credited in batches, and when the buffer empties. */
    void pullConsumed(Channel ch, int size, boolean emptied) {
        long waiting = ch.readUncredited.addAndGet(size);
        if ((emptied || waiting >= flow.channelWindow() / 4) && ch.creditTaskPosted.compareAndSet(false, true)) {
            onLoop(() -> {
                ch.creditTaskPosted.set(false);
                long read = ch.readUncredited.getAndSet(0);
                if (read > 0 && ch.state != Channel.State.CLOSED && state == StreamState.ACTIVE) {
                    consumed(ch, read, true);
                }
            });
        }
    }

    /** {@link Channel#pause()} / {@link Channel#resume()}: resuming delivers what was held, in order. */
    void pauseChannel(Channel ch, boolean pause) {
        if (pause) {
            onLoop(() -> ch.paused = true); // on the loop at once; from another thread, with the next task
            return;
        }
        onLoop(() -> {
            if (!ch.paused) {
                return;
            }
            ch.paused = false;
            if (ch.pullMode()) {
                return; // held packets wait for read() as any pulled packet does
            }
            Packet p;
            while (!ch.paused && ch.state != Channel.State.CLOSED && (p = ch.pulled.poll()) != null) {
                ch.pulledCount.decrementAndGet();
                ch.pulledBytes.addAndGet(-p.data().length);
                deliver(ch, p.type(), ByteBuffer.wrap(p.data()), false);
            }
            output.drained();
        });
    }

    /** Per-channel flow state of a new channel: its rate limit, compression and how large a write may skip the queue. */
    private void prepareFlow(Channel ch, boolean compression) {
        ch.compression = compression;
        if (flow.channelRate().limited()) {
            ch.rate = new TokenBucket(flow.channelRate(), LARGEST_FRAME, clock.nanoTime());
        }
        if (compression && flow.compression() && (!ChannelType.SECURITY.equals(ch.type()) || ch.openedLocally())) {
            // On SECURITY channels only the opener, who chose to offer it, compresses (see DECISIONS, CRIME-style leaks).
            CompressionPolicy policy = CompressionPolicy.defaults();
            ch.compressor = new AdaptiveCompression(policy, flow.compressionGoal(), clock::nanoTime);
            ch.compressMin = policy.minSize();
        }
        ch.directLimit = ch.rate != null || streamRate != null ? -1 : Math.min(OutboundMessage.FRAGMENT_DATA, ch.compressMin - 1);
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
        wipeChannelKeys(ch);
        if (lastReceiver == ch) {
            lastReceiver = null;
        }
        ch.state = Channel.State.CLOSED;
        failQueued(ch, reason);
        releaseHeldCredit(ch);
        if (ch.reassembly != null) {
            reassemblyBytes -= ch.reassembly.capacity();
            reassembling--;
            ch.reassembly = null;
        }
        if (ch.opening != null) {
            ch.opening.completeExceptionally(new StreamException(reason));
            ch.opening = null;
        }
        try {
            ch.handler.closed(ch, reason);
        } catch (RuntimeException e) {
            CallbackFailure.log(LOG, "closed callback of " + ch + " threw", e);
        }
        ch.closeFuture.complete(reason);
    }

    /**
     * A channel that ends with unread (pull) or held (paused) packets, or with reads not yet
     * credited, would keep that much of the stream window taken for good: no read of it
     * credits anything once the channel is closed. Give it back to the stream now.
     */
    private void releaseHeldCredit(Channel ch) {
        long held = ch.pulledBytes.get() + ch.readUncredited.getAndSet(0);
        if (held > 0 && state == StreamState.ACTIVE && !closing) {
            grantStream(held);
        }
    }

    /** Messages still queued when a channel ends will never go: their futures fail, and they are counted and reported. */
    private void failQueued(Channel ch, CloseReason reason) {
        if (ch.outbound.isEmpty()) {
            return;
        }
        long bytes = ch.queuedBytes;
        int count = ch.outbound.size();
        OutboundMessage m;
        while ((m = ch.outbound.pollFirst()) != null) {
            if (m.sent != null) {
                m.sent.completeExceptionally(new StreamException(reason));
            }
        }
        ch.queuedBytes = 0;
        ch.lost.lostNow(ch, count, bytes, reason);
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
        CallbackFailure.log(LOG, "handler of " + ch + " failed; closing the channel", e);
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
        if (!read && !wrote) {
            releaseIdleBuffers();
        }
        output.drained();
        read |= output.readingStopped(); // we chose not to read: that silence is not the peer's
        if (read && session != null) {
            session.touch(clock.currentTimeMillis());
        }
        if (reassembling > 0 && reassemblyTimedOut()) {
            return;
        }
        if (frameTimedOut()) {
            return;
        }
        KeepAlive.Action action = keepAlive.tick(clock.nanoTime(), read, wrote);
        if (action == KeepAlive.Action.TIMEOUT) {
            long silentMs = config.keepAliveTimeout().toMillis();
            if (decoder.hasPartialFrame()) {
                counters.frameTruncated();
                fail(new ProtocolException(ErrorCode.TRUNCATED_FRAME, "a frame was begun and not completed within " + silentMs + " ms"));
            } else {
                counters.keepAliveTimeout();
                fail(new ProtocolException(ErrorCode.KEEPALIVE_TIMEOUT, "no bytes from the peer for " + silentMs + " ms"));
            }
        } else if (action == KeepAlive.Action.PING && state == StreamState.ACTIVE && !closing) {
            byte[] ping = new byte[KeepAlivePayload.SIZE];
            long stamp = clock.nanoTime();
            keepAlive.pingSent(stamp);
            KeepAlivePayload.encode(ping, 0, false, stamp);
            sendStreamFrame(PacketType.KEEPALIVE, ping);
        }
    }

    /**
     * The frame deadline: read silence alone misses a peer that drips a frame a byte at a
     * time. Checked per tick, never per read: the clock starts at the first tick that finds
     * a frame in part, and restarts whenever a frame completed in between or our own reading
     * is paused (then the peer cannot finish it).
     */
    private boolean frameTimedOut() {
        if (!decoder.hasPartialFrame() || pauseRequests > 0) {
            partialFrameSeen = false;
            return false;
        }
        long now = clock.nanoTime();
        long decoded = decoder.framesDecoded();
        if (!partialFrameSeen || decoded != partialFrameDecoded) {
            partialFrameSeen = true;
            partialFrameSince = now;
            partialFrameDecoded = decoded;
            return false;
        }
        if (now - partialFrameSince < config.frameTimeout().toNanos()) {
            return false;
        }
        counters.frameTruncated();
        fail(new ProtocolException(ErrorCode.TRUNCATED_FRAME, "a frame was begun and not completed within "
                + config.frameTimeout().toMillis() + " ms"));
        return true;
    }

    /**
     * A stream idle for a tick gives back the buffers that a split frame (the decoder's
     * gathering buffer) or compression (inflate and compress scratch, a frame limit each) made
     * it grow; the next such frame allocates them again. Idle streams then hold no frame-sized buffer.
     */
    private void releaseIdleBuffers() {
        inflated = null;
        compressScratch = null;
        decoder.releaseBuffer();
    }

    /** The peer let what we owe it stay over the output budget for the stall timeout. */
    private void outputStalled() {
        fail(new ProtocolException(ErrorCode.OUTPUT_STALLED, "the peer does not read what it is sent: " + output.describe()));
    }

    private boolean reassemblyTimedOut() {
        long now = clock.nanoTime();
        long timeout = flow.reassemblyTimeout().toNanos();
        for (Channel ch : channels.all()) {
            Reassembly r = ch.reassembly;
            if (r != null && now - r.lastFragmentNanos > timeout) {
                fail(new ProtocolException(ErrorCode.REASSEMBLY_TIMEOUT, "channel " + ch.id() + ": no fragment of its "
                        + r.total + "-byte message for " + flow.reassemblyTimeout().toMillis() + " ms (" + r.received() + " bytes received)"));
                return true;
            }
        }
        return false;
    }

    private void setupDeadline() {
        if (state == StreamState.SETUP) {
            counters.setupTimeout();
            if (security != null) {
                counters.handshake(HandshakeOutcome.TIMEOUT);
            }
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
        ended = true;
        output.ended();
        if (ticker != null) {
            ticker.cancel();
        }
        if (deadline != null) {
            deadline.cancel();
        }
        for (Channel ch : channels.all()) {
            channelGone(ch, reason);
        }
        wipeKeys();
        writableWaiters.forEach(w -> w.future.completeExceptionally(new StreamException(reason)));
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
        if (!ready.isDone()) { // a stream that got ready needs no exception (and its stack trace) at every close
            ready.completeExceptionally(new StreamException(reason));
        }
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

    /**
     * The seed's {@code authorized}: the peer proved possession of the key behind its node
     * address in the handshake, and the authentication policy allowed it. Always true for
     * the server's identity on a secure connector; false on plaintext streams.
     */
    public boolean authorized() {
        return peer != null;
    }

    /** The identity the peer proved, or null (plaintext stream, or a connector that did not authenticate). */
    public PeerIdentity peerIdentity() {
        return peer;
    }

    /** For tests: the stream's traffic keys exist and have been wiped (the stream ended). */
    boolean trafficKeysWiped() {
        return sendKey != null && sendKey.cipher.isClosed() && receiveKey.cipher.isClosed();
    }

    /** True once the handshake completed and every frame is sealed. */
    public boolean encrypted() {
        return expectedFlags != 0;
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

    /**
     * Bytes this stream holds for its peer's traffic that the application has not taken:
     * packets held for pull-mode or paused channels, and partly reassembled messages. Flow
     * control bounds it by the stream window plus the reassembly limit, whatever the peer does.
     * A monitoring value when read off the loop.
     */
    public long heldBytes() {
        long held = reassemblyBytes;
        for (Channel ch : channels.all()) {
            held += ch.pulledBytes.get();
        }
        return held;
    }

    /**
     * Bytes this stream has queued for its peer and not yet sent: in the transport (counted by
     * the output budget) and in its channels' send queues. A monitoring value off the loop.
     */
    /** Bytes this stream may owe its peer before it stops reading ({@code dap.stream.output-budget}). */
    public int outputBudget() {
        return config.outputBudget();
    }

    public long queuedOutputBytes() {
        long queued = transport.queuedBytes();
        for (Channel ch : channels.all()) {
            queued += ch.queuedBytes;
        }
        return queued;
    }

    /** Messages held unread on the stream's channels (pull mode, paused). */
    private long heldMessages() {
        long held = 0;
        for (Channel ch : channels.all()) {
            held += ch.pulledCount.get();
        }
        return held;
    }

    /** The connection is full, or a channel that holds messages has a writer waiting on the peer (socket or credit). */
    private boolean outputWaitsOnPeer() {
        if (transport.writeQueueFull()) {
            return true;
        }
        for (Channel ch : channels.all()) {
            if (ch.writeBlocked && ch.pulledCount.get() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Bytes of frame-sized buffers this stream keeps between frames (gathering, inflating, compressing). A monitoring value off the loop. */
    public long retainedBufferBytes() {
        ByteBuffer in = inflated;
        ByteBuffer scratch = compressScratch;
        return decoder.bufferCapacity() + (in == null ? 0 : in.capacity()) + (scratch == null ? 0 : scratch.capacity());
    }

    /** Payload bytes the peer lets us send on the stream now (all channels). A monitoring value off the loop. */
    public long sendCredit() {
        return sendCredit;
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
