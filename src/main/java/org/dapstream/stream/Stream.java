package org.dapstream.stream;

import org.dapstream.crypto.AeadSuite;
import org.dapstream.crypto.PeerIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The seed's {@code dap_stream_t}: one connection carrying many channels, between a
 * {@link StreamTransport} (bytes) and {@link Channel}s (packets). This class is the façade:
 * the public API, the stream's life cycle, ch-0 dispatch and the end of the stream. The work
 * is done by its parts, each owning its state (docs/ARCHITECTURE.md): {@link StreamSetup},
 * {@link FrameReader}, {@link FrameWriter}, {@link StreamKeys}, {@link FlowControl},
 * {@link SendScheduler}, {@link WriteGate}, {@link ChannelProtocol}, {@link Reassembler},
 * {@link Liveness} and {@link OutputBudget}.
 *
 * <p>Everything here runs on the stream's event loop; public methods called from another
 * thread hop onto it. Any protocol violation by the peer ends the stream with an ERROR
 * frame whose code says what was wrong, and touches nothing outside this stream.
 */
public final class Stream {
    private static final System.Logger LOG = System.getLogger(Stream.class.getName());
    private static final AtomicInteger IDS = new AtomicInteger();

    /**
     * The life cycle of PROTOCOL.md section 16.1. GOING_AWAY is ACTIVE after this side sent
     * GOAWAY (the peer's opens are refused); CLOSING is ACTIVE after this side sent CLOSE
     * (nothing more goes on channels; the peer's CLOSE or ERROR ends it).
     */
    enum Life { SETUP, ACTIVE, GOING_AWAY, CLOSING, CLOSED }

    private final int id = IDS.incrementAndGet();
    private final StreamRole role;
    private final LocalNode node;
    private final StreamConfig config;
    private final StreamTransport transport;
    private final StreamCounters counters;
    private final StreamListener listener;
    private final FrameDecoder decoder;
    private final long createTime;

    final StreamKeys keys;
    final FrameWriter writer;
    final FlowControl flow;
    final SendScheduler scheduler;
    final WriteGate gate;
    final Reassembler reassembler;
    final ChannelProtocol channels;
    final FrameReader reader;
    final StreamSetup setup;
    final Liveness liveness;
    /** What the peer may make us queue for it before its connection is no longer read. */
    final OutputBudget output;
    /** Whether the connection is read. */
    final ReadPauses reading;
    /** Acknowledgements and the store of unacknowledged messages, when the handshake agreed them. */
    final Acknowledgements acks;
    /** Tickets, suspension at a cut, and the channels of a resumed session. */
    final Resumption resumption;

    private final CompletableFuture<Stream> ready = new CompletableFuture<>();
    private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();
    /** Completes when the peer says it is going away (GOAWAY); never fails. */
    private final CompletableFuture<ControlMessage.GoAway> peerGoingAway = new CompletableFuture<>();

    private volatile Life life = Life.SETUP;
    /** The CLOSE we sent for the stream; reported once the peer's CLOSE answers it. */
    private CloseReason closeReasonSent;
    private volatile Session session;
    private volatile NodeAddress peerNode = NodeAddress.NONE;
    private boolean primary;
    private StreamTransport.Cancellable deadline;

    /**
     * A stream of {@code node} on {@code transport}, on the side {@code role} says.
     *
     * @param listener told when this stream becomes active, hears GOAWAY and ends (null: nobody)
     */
    public Stream(StreamRole role, StreamTransport transport, LocalNode node, StreamListener listener) {
        if (role == StreamRole.ACCEPTOR && node.sessions() == null) {
            throw new IllegalArgumentException("an accepting stream needs a session registry");
        }
        this.role = role;
        this.node = node;
        this.config = node.config();
        this.transport = transport;
        this.counters = node.counters();
        this.listener = listener == null ? StreamListener.NONE : listener;
        this.decoder = new FrameDecoder(config.maxFramePayload());
        this.createTime = node.clock().currentTimeMillis();
        this.keys = new StreamKeys(this, node.security(), role, counters);
        this.writer = new FrameWriter(this, transport, keys, counters);
        this.flow = new FlowControl(this, config.flow(), node.clock());
        this.scheduler = new SendScheduler(this, transport, writer, flow, config.flow(), node.clock(), counters);
        this.gate = new WriteGate(this, transport, writer, flow, scheduler, config);
        this.reassembler = new Reassembler(flow, config.flow(), node.clock());
        this.acks = new Acknowledgements(this, transport, config.sessionStoreBytes());
        this.channels = new ChannelProtocol(this, role, node);
        this.resumption = new Resumption(this, role, node);
        this.reader = new FrameReader(this, keys, flow, reassembler, channels, this::onStreamFrame, config.maxFramePayload());
        this.setup = new StreamSetup(this, role, node, transport);
        this.liveness = new Liveness(this, transport, node, decoder);
        this.reading = new ReadPauses(transport);
        this.output = new OutputBudget(transport, config, channels::heldMessages, this::outputWaitsOnPeer,
                reading::pause, reading::resume, this::outputStalled);
    }

    // ---------------------------------------------------------------- life cycle

    /** Starts timers and, on a connector, sends HELLO. Call once, on the loop, when connected. */
    public void start() {
        counters.streamOpened(this);
        liveness.start();
        deadline = transport.after(config.setupTimeout().toMillis(), setup::deadlinePassed);
        try {
            setup.start();
        } catch (ProtocolException e) {
            fail(e);
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
        liveness.readSinceTick = true;
        try {
            decoder.feed(bytes, reader);
        } catch (ProtocolException e) {
            fail(e);
        } catch (RuntimeException e) {
            // A bug of ours, not the peer's: end this stream only, and say so in the log.
            LOG.log(System.Logger.Level.ERROR, "internal error on " + this, e);
            fail(new ProtocolException(ErrorCode.INTERNAL_ERROR, "internal error"));
        }
        if (life != Life.CLOSED) {
            acks.flush(); // at most one ACK per channel that delivered, for the whole batch of input
            output.check(); // what this input made us owe the peer
        }
    }

    /** The connection is gone (the peer closed it, or the network failed). */
    public void onTransportClosed() {
        if (life != Life.CLOSED) {
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
        transport.execute(gate::notifyWritable);
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
            if (life == Life.SETUP) {
                fail(new ProtocolException(ErrorCode.GOING_AWAY, reason));
            } else if (life == Life.ACTIVE) {
                life = Life.GOING_AWAY;
                writer.sendStreamFrame(PacketType.CONTROL, encoded);
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

    /**
     * Connector, before {@link #start}: this stream resumes {@code session} (PROTOCOL.md section
     * 32) with {@code ticket}, taking over the channels its suspension holds, instead of
     * starting a new session.
     */
    public void resumeWith(ResumeTicket ticket, Session session) {
        if (role != StreamRole.CONNECTOR || node.security() == null) {
            throw new IllegalStateException("only a secure connector resumes a session");
        }
        resumption.resumeWith(ticket, session);
    }

    /**
     * The newest ticket the acceptor gave this stream's session, to resume it after a cut;
     * null before the first, or when the stream did not agree resumption. It holds a secret:
     * keep it in memory, and only for this session.
     */
    public ResumeTicket resumeTicket() {
        return resumption.ticket();
    }

    /** True when the handshake agreed resumption: a lost connection suspends the session instead of ending it. */
    public boolean resumable() {
        return resumption.agreed();
    }

    /** True when this stream resumed a session (rather than starting one). */
    public boolean resumed() {
        return resumption.resumed();
    }

    /**
     * Runs {@code task} on this stream's event loop after {@code delayMillis}, also once the
     * stream has ended (a client's resumption timer). A delay under a millisecond (a back-off
     * drawn near 0) runs it in the loop's next task: a timer would round it up to one.
     */
    public void onLoopLater(long delayMillis, Runnable task) {
        if (delayMillis <= 0) {
            transport.execute(task);
        } else {
            transport.after(delayMillis, task);
        }
    }

    /** A connector gave up resuming this stream's session: the suspended channels close with {@code reason}. */
    public void endSuspension(Suspension suspension, CloseReason reason) {
        onLoop(() -> {
            Session s = session;
            if (s != null && s.expire(suspension) != null) {
                Suspension.close(suspension.end(), reason);
            }
        });
    }

    /**
     * Connector: leaves this connection without CLOSE, as if it were lost, so that a resumable
     * session suspends and can be resumed elsewhere (the node said GOAWAY and named another
     * member: PROTOCOL.md section 33.4). The node suspends its side the same way.
     */
    public void leave(String reason) {
        onLoop(() -> finish(CloseReason.of(ErrorCode.CONNECTION_LOST, reason)));
    }

    /** A carried channel ends with a gap (the listener hears it before the channel's handler hears it closed). */
    void gap(ChannelGap gap) {
        try {
            listener.gap(this, gap);
        } catch (RuntimeException e) {
            CallbackFailure.log(System.getLogger(Stream.class.getName()), "gap callback of " + this + " threw", e);
        }
    }

    /** The session resumed on another connection: this one, which the peer has left, ends and suspends its channels for it. */
    void supersede() {
        onLoop(() -> {
            if (life != Life.CLOSED) {
                finish(CloseReason.of(ErrorCode.CONNECTION_LOST, "the session resumed on another connection"));
            }
        });
    }

    /** Setup is done: channels may open. */
    void becomeActive() {
        life = Life.ACTIVE;
        if (deadline != null) {
            deadline.cancel();
        }
        flow.streamActive(); // before anything the application may send once ready completes
        listener.active(this);
        ready.complete(this);
    }

    void attachSession(Session s) {
        session = s;
        primary = s.streams().isEmpty();
        s.attach(this);
    }

    void peerNode(NodeAddress address) {
        peerNode = address;
    }

    private void closeLocally(CloseReason reason) {
        if (life == Life.CLOSED || life == Life.CLOSING) {
            return;
        }
        if (life == Life.SETUP) {
            writer.sendStreamFrame(PacketType.CLOSE, reason.encode());
            finish(reason);
            return;
        }
        life = Life.CLOSING;
        closeReasonSent = reason;
        // The opens fail now; the channels stay so the peer's OPEN_ACK or OPEN_REJECT, possibly on its way, is understood.
        channels.abandonOpenings(reason);
        writer.sendStreamFrame(PacketType.CLOSE, reason.encode());
        // The peer answers with CLOSE; if it never does, the keepalive timeout ends the stream.
    }

    /** The peer broke the protocol (or a deadline passed): ERROR with the code, then close. */
    void fail(ProtocolException e) {
        if (life == Life.CLOSED) {
            return;
        }
        counters.errorSent(e.code());
        LOG.log(System.Logger.Level.DEBUG, "stream " + id + " from " + transport.remoteAddress() + " failed: " + e);
        CloseReason reason = CloseReason.of(e.code(), e.getMessage());
        writer.sendStreamFrame(PacketType.ERROR, reason.encode());
        finish(reason);
    }

    /** The stream is over: channels closed, session detached, timers stopped, keys wiped, connection closed. */
    private void finish(CloseReason reason) {
        if (life == Life.CLOSED) {
            return;
        }
        life = Life.CLOSED;
        output.ended();
        liveness.stop();
        acks.ended();
        if (deadline != null) {
            deadline.cancel();
        }
        Suspension suspended = resumption.suspends(reason)
                ? channels.suspendAll(acks.store(), node.clock().currentTimeMillis()) : null;
        channels.endAll(reason);
        resumption.ended(suspended != null);
        keys.wipe();
        setup.wipe();
        gate.failWaiters(reason);
        Session s = session;
        if (s != null && s.detach(this)) {
            if (suspended != null) {
                counters.sessionSuspended();
                if (node.sessions() != null) {
                    node.sessions().suspended(s, suspended, transport, CloseReason.of(ErrorCode.SESSION_EXPIRED,
                            "not resumed within " + node.sessions().resumption().expiry().toSeconds() + " s of the connection's loss"), counters);
                } else {
                    s.suspended(suspended); // the connector's client resumes it, or ends it
                }
            } else if (node.sessions() != null) {
                node.sessions().delete(s);
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

    // ---------------------------------------------------------------- ch 0

    private void onStreamFrame(PacketType type, ByteBuffer payload) throws ProtocolException {
        switch (type) {
            case CONTROL -> {
                int kind = payload.hasRemaining() ? payload.get(payload.position()) & 0xFF : -1;
                if (HandshakeMessage.isHandshakeKind(kind)) {
                    setup.onHandshakeMessage(kind, payload);
                } else {
                    onControl(ControlCodec.decode(payload));
                }
            }
            case KEEPALIVE -> {
                requireActive("KEEPALIVE");
                liveness.onKeepAlive(payload);
            }
            case CLOSE -> {
                CloseReason reason = CloseReason.decode(payload);
                if (life == Life.CLOSING) {
                    finish(closeReasonSent);
                } else {
                    writer.sendStreamFrame(PacketType.CLOSE, CloseReason.of(ErrorCode.NORMAL, "").encode());
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
            setup.onHello(hello);
            return;
        }
        if (message instanceof ControlMessage.Welcome welcome) {
            setup.onWelcome(welcome);
            return;
        }
        if (state() != StreamState.ACTIVE) {
            throw notReady(controlName(message));
        }
        if (message instanceof ControlMessage.OpenChannel open) {
            channels.onOpenChannel(open);
        } else if (message instanceof ControlMessage.OpenAck ack) {
            channels.onOpenAck(ack);
        } else if (message instanceof ControlMessage.OpenReject reject) {
            channels.onOpenReject(reject);
        } else if (message instanceof ControlMessage.WindowUpdate update) {
            flow.onWindowUpdate(update);
        } else if (message instanceof ControlMessage.Ack ack) {
            acks.onAck(ack);
        } else if (message instanceof ControlMessage.KeyUpdate update) {
            keys.onKeyUpdate(update);
        } else if (message instanceof ControlMessage.ChannelKey request) {
            keys.onChannelKey(request);
        } else if (message instanceof ControlMessage.ChannelKeyAck ack) {
            keys.onChannelKeyAck(ack);
        } else if (message instanceof ControlMessage.ChannelKeyActive active) {
            keys.onChannelKeyActive(active);
        } else if (message instanceof ControlMessage.Ticket ticket) {
            resumption.onTicket(ticket);
        } else if (message instanceof ControlMessage.Resumed resumed) {
            resumption.onResumed(resumed);
        } else if (message instanceof ControlMessage.SessionGap gap) {
            resumption.onSessionGap(gap);
        } else if (message instanceof ControlMessage.GoAway goAway) {
            if (!peerGoingAway.isDone()) { // a repeated GOAWAY changes nothing
                listener.goingAway(this, goAway);
                peerGoingAway.complete(goAway);
            }
        }
    }

    private void requireActive(String what) throws ProtocolException {
        if (state() != StreamState.ACTIVE) {
            throw notReady(what);
        }
    }

    private static ProtocolException notReady(String what) {
        return new ProtocolException(ErrorCode.STREAM_NOT_READY, what + " before the stream setup completed");
    }

    /** A CONTROL message's name as PROTOCOL.md spells it (OpenAck: OPEN_ACK), for error messages. */
    private static String controlName(ControlMessage message) {
        if (message instanceof ControlMessage.GoAway) {
            return "GOAWAY";
        }
        return message.getClass().getSimpleName().replaceAll("(?<=[a-z])(?=[A-Z])", "_").toUpperCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- channels

    /**
     * {@code dap_stream_ch_new}: opens a channel of {@code type}. Completes when the peer
     * acknowledges; fails with {@link StreamException} when it refuses (no handler for the
     * type, too many channels) or the stream ends.
     */
    public CompletableFuture<Channel> openChannel(ChannelType type, ChannelHandler handler) {
        return openChannel(type, handler, config.flow().compression() && !ChannelType.SECURITY.equals(type));
    }

    /**
     * Opens a channel and says whether to offer compression on it (the default: on when the
     * node compresses, except on SECURITY channels: docs/decisions/0106-no-compression-on-security-channels.md).
     */
    public CompletableFuture<Channel> openChannel(ChannelType type, ChannelHandler handler, boolean compression) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        onLoop(() -> channels.open(type, handler, compression, result));
        return result;
    }

    /** Moves what we send to the next key epoch now (on demand; it also happens before any limit). */
    public CompletableFuture<Void> rekey() {
        return keys.rekey(null);
    }

    // ---------------------------------------------------------------- for the parts

    /** The seed's {@code is_active}: set up, and neither closing nor closed (channels may open, grants and pings go). */
    public boolean active() {
        Life l = life;
        return l == Life.ACTIVE || l == Life.GOING_AWAY;
    }

    /** This side sent CLOSE: nothing more goes on channels. */
    boolean closing() {
        return life == Life.CLOSING;
    }

    boolean ended() {
        return life == Life.CLOSED;
    }

    /** This side sent GOAWAY or CLOSE: the peer's opens are refused with GOING_AWAY. */
    boolean refusesOpens() {
        Life l = life;
        return l == Life.GOING_AWAY || l == Life.CLOSING;
    }

    StreamCounters counters() {
        return counters;
    }

    void onLoop(Runnable task) {
        // Inside a packetOut observer a frame is half written: anything that sends waits.
        if (transport.inLoop() && !writer.inPacketOut) {
            task.run();
        } else {
            transport.execute(task);
        }
    }

    /**
     * A stream idle for a tick gives back the buffers that a split frame (the decoder's
     * gathering buffer) or compression (inflate and compress scratch, a frame limit each) made
     * it grow; the next such frame allocates them again. Idle streams then hold no frame-sized buffer.
     */
    void releaseIdleBuffers() {
        reader.releaseIdleBuffers();
        writer.releaseIdleBuffers();
        decoder.releaseBuffer();
    }

    /** The peer let what we owe it stay over the output budget for the stall timeout. */
    private void outputStalled() {
        fail(new ProtocolException(ErrorCode.OUTPUT_STALLED, "the peer does not read what it is sent: " + output.describe()));
    }

    /** The connection is full, or a channel that holds messages has a writer waiting on the peer (socket or credit). */
    private boolean outputWaitsOnPeer() {
        return transport.writeQueueFull() || channels.writerWaitsWhileHolding();
    }

    String describeState() {
        Life l = life;
        return l == Life.CLOSING ? "closing" : state().name().toLowerCase();
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
        return peerNode;
    }

    /**
     * The seed's {@code authorized}: the peer proved possession of the key behind its node
     * address in the handshake, and the authentication policy allowed it. Always true for
     * the server's identity on a secure connector; false on plaintext streams.
     */
    public boolean authorized() {
        return keys.peer() != null;
    }

    /** The identity the peer proved, or null (plaintext stream, or a connector that did not authenticate). */
    public PeerIdentity peerIdentity() {
        return keys.peer();
    }

    /** The AEAD suite the secure handshake agreed, or null (plaintext stream, or before the handshake completes). */
    public AeadSuite suite() {
        return keys.suite();
    }

    /**
     * The signature algorithm of the identity the peer proved ({@code peerIdentity().algorithm()}),
     * or null when the peer did not authenticate.
     */
    public SignatureAlgorithm peerSignatureAlgorithm() {
        PeerIdentity peer = keys.peer();
        return peer == null ? null : peer.algorithm();
    }

    /** True once the handshake completed and every frame is sealed. */
    public boolean encrypted() {
        return keys.encrypted();
    }

    /** The seed's {@code primary}: the first stream of its session. */
    public boolean primary() {
        return primary;
    }

    public Session session() {
        return session;
    }

    /** SETUP, ACTIVE (going away and closing included) or CLOSED. */
    public StreamState state() {
        return switch (life) {
            case SETUP -> StreamState.SETUP;
            case ACTIVE, GOING_AWAY, CLOSING -> StreamState.ACTIVE;
            case CLOSED -> StreamState.CLOSED;
        };
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
        return reassembler.heldBytes() + channels.heldBytes();
    }

    /** Bytes this stream may owe its peer before it stops reading ({@code dap.stream.output-budget}). */
    public int outputBudget() {
        return config.outputBudget();
    }

    /**
     * Bytes this stream has queued for its peer and not yet sent: in the transport (counted by
     * the output budget) and in its channels' send queues. A monitoring value off the loop.
     */
    public long queuedOutputBytes() {
        return transport.queuedBytes() + channels.queuedBytes();
    }

    /** Bytes of frame-sized buffers this stream keeps between frames (gathering, inflating, compressing). A monitoring value off the loop. */
    public long retainedBufferBytes() {
        return decoder.bufferCapacity() + reader.retainedBufferBytes() + writer.retainedBufferBytes();
    }

    /** True when the handshake agreed acknowledgements: written messages are kept until the peer acknowledges them. */
    public boolean acknowledged() {
        return acks.agreed();
    }

    /** Bytes of written messages kept until the peer acknowledges them. A monitoring value off the loop. */
    public long unacknowledgedBytes() {
        return acks.store().bytes();
    }

    /** Payload bytes the peer lets us send on the stream now (all channels). A monitoring value off the loop. */
    public long sendCredit() {
        return flow.send.credit;
    }

    /** {@code dap_stream_get_stats}. */
    public StreamStats stats() {
        return new StreamStats(writer.packetsSent, reader.packetsReceived, writer.bytesSent, reader.bytesReceived,
                channels.size(), liveness.avgLatencyMillis());
    }

    @Override
    public String toString() {
        return "stream " + id + " (" + role + ", " + describeState() + ", peer " + peerNode + " at " + transport.remoteAddress() + ")";
    }
}
