package org.dapstream.stream;

import org.dapstream.compress.AdaptiveCompression;
import org.dapstream.compress.CompressionPolicy;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A stream's channels and the protocol that opens and closes them (PROTOCOL.md sections 9
 * and 16.2): ids of this side's parity, OPEN_CHANNEL / OPEN_ACK / OPEN_REJECT, channel
 * CLOSE and ERROR, and everything that ends with a channel (its queue, held credit,
 * reassembly, keys, futures). Event-loop confined.
 */
final class ChannelProtocol {
    private static final System.Logger LOG = System.getLogger(ChannelProtocol.class.getName());
    /** Channel ids one side can open: the odd (or even) numbers of 1..65535. */
    static final int IDS_PER_SIDE = 32768;

    private final Stream stream;
    private final StreamRole role;
    private final StreamConfig config;
    private final ChannelRegistry services;
    private final StreamCounters counters;
    private final StreamClock clock;
    private final ChannelTable table = new ChannelTable();
    /** Ids of channels the peer or we opened at some time, to tell CHANNEL_CLOSED from UNKNOWN_CHANNEL. */
    private final BitSet everOpened = new BitSet();
    private int nextChannelId;

    ChannelProtocol(Stream stream, StreamRole role, LocalNode node) {
        this.stream = stream;
        this.role = role;
        this.config = node.config();
        this.services = node.services();
        this.counters = node.counters();
        this.clock = node.clock();
        this.nextChannelId = role.firstChannelId();
    }

    Channel get(int id) {
        return table.get(id);
    }

    int size() {
        return table.size();
    }

    List<Channel> all() {
        return table.all();
    }

    /** The channel a frame other than ch 0's arrived on, or the error that such a frame is. */
    Channel receiving(PacketType type, int chId) throws ProtocolException {
        Channel ch = table.get(chId);
        if (ch == null) {
            throw everOpened.get(chId)
                    ? new ProtocolException(ErrorCode.CHANNEL_CLOSED, type + " on channel " + chId + ", which is closed")
                    : new ProtocolException(ErrorCode.UNKNOWN_CHANNEL, type + " on channel " + chId + ", which was never opened");
        }
        if (ch.state == Channel.State.OPENING) {
            throw new ProtocolException(ErrorCode.PROTOCOL_VIOLATION, type + " on channel " + chId + " before OPEN_ACK");
        }
        return ch;
    }

    /** Messages held unread on the channels (pull mode, paused). */
    long heldMessages() {
        long held = 0;
        for (Channel ch : table.all()) {
            held += ch.inbox.count.get();
        }
        return held;
    }

    /** Bytes held unread on the channels. A monitoring value off the loop. */
    long heldBytes() {
        long held = 0;
        for (Channel ch : table.all()) {
            held += ch.inbox.bytes.get();
        }
        return held;
    }

    /** Message bytes in the channels' send queues. A monitoring value off the loop. */
    long queuedBytes() {
        long queued = 0;
        for (Channel ch : table.all()) {
            queued += ch.queue.queuedBytes;
        }
        return queued;
    }

    /** A channel that holds unread messages has a writer told to wait: the peer is not reading what it owes us either. */
    boolean writerWaitsWhileHolding() {
        for (Channel ch : table.all()) {
            if (ch.queue.writeBlocked && ch.inbox.count.get() > 0) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- this side opens and closes

    /** {@code dap_stream_ch_new} on the loop: OPEN_CHANNEL, or the reason it cannot go. */
    void open(ChannelType type, ChannelHandler handler, boolean compression, CompletableFuture<Channel> result) {
        if (!stream.active()) {
            result.completeExceptionally(new StreamException(ErrorCode.STREAM_NOT_READY, "stream " + stream.id() + " is " + stream.describeState()));
            return;
        }
        if (stream.goingAway().isDone()) {
            result.completeExceptionally(new StreamException(ErrorCode.GOING_AWAY, "stream " + stream.id() + ": the peer is going away"));
            return;
        }
        if (type.reserved()) {
            result.completeExceptionally(new IllegalArgumentException("channel type " + type + " is reserved"));
            return;
        }
        if (table.size() >= config.maxChannels()) {
            result.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                    "stream " + stream.id() + " has " + table.size() + " channels open, the limit is " + config.maxChannels()));
            return;
        }
        int chId = allocateId();
        if (chId < 0) {
            result.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                    "stream " + stream.id() + " has all " + IDS_PER_SIDE + " channel ids of its side in use"));
            return;
        }
        Channel ch = new Channel(stream, chId, type, handler, Channel.State.OPENING, true);
        ch.opening = result;
        prepare(ch, compression);
        table.put(ch);
        sendControl(new ControlMessage.OpenChannel(chId, type, compression ? ControlMessage.OPTION_COMPRESSION : 0));
        stream.flow.channelOpened(ch);
    }

    /** The next free id of our parity, ascending, wrapping after 65535 (ids are reused only after a wrap). */
    private int allocateId() {
        for (int tried = 0; tried < IDS_PER_SIDE; tried++) {
            int candidate = nextChannelId;
            nextChannelId += 2;
            if (nextChannelId > FrameHeader.MAX_CHANNEL_ID) {
                nextChannelId = role.firstChannelId();
            }
            if (table.get(candidate) == null) {
                return candidate;
            }
        }
        return -1; // every id of our parity is in use
    }

    /** {@code dap_stream_ch_delete}: CLOSE once what was written has gone. */
    void close(Channel ch) {
        stream.onLoop(() -> {
            if (ch.state == Channel.State.OPEN && stream.active()) {
                ch.state = Channel.State.CLOSING;
                ch.closeReasonSent = CloseReason.of(ErrorCode.NORMAL, "closed by application");
                if (ch.queue.isEmpty()) {
                    stream.writer.sendChannelFrame(ch, PacketType.CLOSE, ch.closeReasonSent.encode());
                } else {
                    ch.queue.closeAfterDrain = true; // what was written goes first; the pump sends CLOSE after it
                }
            }
        });
    }

    /** The stream is closing: opens still waiting fail now, though the channels stay to understand the answers on their way. */
    void abandonOpenings(CloseReason reason) {
        for (Channel ch : table.all()) {
            if (ch.state == Channel.State.OPENING && ch.opening != null) {
                ch.opening.completeExceptionally(new StreamException(reason));
                ch.opening = null;
            }
        }
    }

    // ---------------------------------------------------------------- the peer opens and answers

    void onOpenChannel(ControlMessage.OpenChannel open) throws ProtocolException {
        int chId = open.channelId();
        if (chId == 0 || role.opens(chId)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL_ID, "peer opened channel " + chId
                    + "; the " + (role == StreamRole.ACCEPTOR ? "connecting side opens odd" : "accepting side opens even") + " ids 1..65535");
        }
        if (table.get(chId) != null) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL_ID, "peer opened channel " + chId + ", which is already open");
        }
        if ((open.options() & ~ControlMessage.OPTIONS_DEFINED) != 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, String.format(
                    "OPEN_CHANNEL options 0x%02x; version 1 defines 0x01 (compression) only", open.options()));
        }
        if (stream.refusesOpens()) {
            reject(chId, ErrorCode.GOING_AWAY, stream.closing() ? "this side is closing the stream" : "this node is going away");
            return;
        }
        ChannelHandler handler = open.type().reserved() || services == null ? null : services.handler(open.type());
        if (handler == null) {
            reject(chId, ErrorCode.UNSUPPORTED_CHANNEL_TYPE, "no service for channel type " + open.type());
            return;
        }
        if (handler instanceof ChannelService service) {
            CloseReason refusal = service.refuseOpen(stream);
            if (refusal != null) {
                reject(chId, refusal.errorCode() == null ? ErrorCode.INTERNAL_ERROR : refusal.errorCode(), refusal.reason());
                return;
            }
        }
        if (table.size() >= config.maxChannels()) {
            reject(chId, ErrorCode.RESOURCE_EXHAUSTED, "the limit of " + config.maxChannels() + " channels per stream is reached");
            return;
        }
        Channel ch = new Channel(stream, chId, open.type(), handler, Channel.State.OPEN, false);
        prepare(ch, open.compression());
        table.put(ch);
        everOpened.set(chId);
        sendControl(new ControlMessage.OpenAck(chId));
        stream.flow.channelOpened(ch);
        ch.invoke(() -> ch.handler.opened(ch));
    }

    void onOpenAck(ControlMessage.OpenAck ack) throws ProtocolException {
        Channel ch = pendingOpen(ack.channelId(), "OPEN_ACK");
        ch.state = Channel.State.OPEN;
        everOpened.set(ch.id());
        CompletableFuture<Channel> f = ch.opening;
        ch.opening = null;
        if (f != null) { // null: abandoned because the stream is closing; the CLOSE ends it
            ch.invoke(() -> ch.handler.opened(ch));
            f.complete(ch);
        }
    }

    void onOpenReject(ControlMessage.OpenReject reject) throws ProtocolException {
        Channel ch = pendingOpen(reject.channelId(), "OPEN_REJECT");
        counters.errorReceived(reject.code());
        table.remove(ch.id());
        ch.state = Channel.State.CLOSED;
        CloseReason reason = new CloseReason(reject.code(), reject.reason());
        ch.closeFuture.complete(reason);
        if (ch.opening != null) {
            ch.opening.completeExceptionally(new StreamException(reason));
            ch.opening = null;
        }
    }

    private void reject(int chId, ErrorCode code, String reason) {
        counters.errorSent(code);
        sendControl(new ControlMessage.OpenReject(chId, code.code(), reason));
    }

    private Channel pendingOpen(int chId, String what) throws ProtocolException {
        Channel ch = table.get(chId);
        if (ch == null || ch.state != Channel.State.OPENING) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, what + " for channel " + chId + ", which this side is not opening");
        }
        return ch;
    }

    /**
     * A new channel's compression, rate limit and fast-path size. On SECURITY channels only the
     * opener compresses (docs/decisions/0106-no-compression-on-security-channels.md).
     */
    private void prepare(Channel ch, boolean compression) {
        ch.compression = compression;
        FlowConfig flow = config.flow();
        if (compression && flow.compression() && (!ChannelType.SECURITY.equals(ch.type()) || ch.openedLocally())) {
            // On SECURITY channels only the opener, who chose to offer it, compresses.
            CompressionPolicy policy = CompressionPolicy.defaults();
            ch.queue.compressor = new AdaptiveCompression(policy, flow.compressionGoal(), clock::nanoTime);
            ch.queue.compressMin = policy.minSize();
        }
        stream.scheduler.channelOpened(ch);
        stream.acks.channelOpened(ch);
    }

    // ---------------------------------------------------------------- the end of a channel

    /** The peer's CLOSE or ERROR on a channel: answered (unless it answers ours), then the channel is gone. */
    void onClose(Channel ch, PacketType type, CloseReason reason) {
        if (type == PacketType.ERROR) {
            counters.errorReceived(reason.code());
        }
        CloseReason outcome = reason;
        if (ch.state == Channel.State.CLOSING) {
            outcome = ch.closeReasonSent != null ? ch.closeReasonSent : reason;
        } else {
            stream.writer.sendChannelFrame(ch, PacketType.CLOSE, CloseReason.of(ErrorCode.NORMAL, "").encode());
        }
        gone(ch, outcome);
    }

    /** Every channel ends with the stream. */
    /**
     * The connection is gone and the session may be resumed (PROTOCOL.md section 32): the
     * channels that can be carried over leave this stream, SUSPENDED, with what they kept;
     * the others end with {@link #endAll} as on any end. A channel is carried when it is open
     * on both sides, acknowledged (not MEDIA) and on the stream's keys: a channel's own keys
     * belong to the stream's secrets and die with them.
     *
     * @return the suspension, or null when no channel can be carried
     */
    Suspension suspendAll(SessionStore store, long nowMillis) {
        List<Channel> carried = new ArrayList<>();
        // Cut again while resuming: the writers waiting on the suspension this stream took the channels from are handed on below.
        Set<Suspension> resuming = new HashSet<>();
        for (Channel ch : table.all()) {
            if (ch.suspension != null) {
                resuming.add(ch.suspension);
            }
            // SUSPENDED: taken over by this stream from an earlier cut, and cut again before the peer's RESUMED.
            if ((ch.state != Channel.State.OPEN && ch.state != Channel.State.SUSPENDED) || ch.retained == null
                    || ch.keys.send != null || ch.keys.receive != null || ch.keys.pending != null || ch.handlerFailed) {
                continue;
            }
            carried.add(ch);
        }
        // The suspension first, the state after: a writer that finds a channel SUSPENDED finds its suspension there.
        Suspension suspension = new Suspension(carried, store, nowMillis); // even with no channel: the session itself resumes
        for (Channel ch : carried) {
            table.remove(ch.id());
            stream.reader.forget(ch);
            stream.reassembler.release(ch); // a message half received is sent again whole
            stream.scheduler.forgetQueued(ch); // every queued message is kept, and sent again after the resumption
            ch.ackDue = false;
            ch.state = Channel.State.SUSPENDED;
        }
        resuming.forEach(Suspension::allRunning); // after the new one is on the channels: their writers wait there
        return suspension;
    }

    /**
     * A resumed session's channels come to this stream: the same ids, types, handlers and
     * kept messages, with new windows, sequence numbers and an empty send queue. They stay
     * SUSPENDED (writes are kept, not sent) until the peer's RESUMED says what it has.
     */
    void adopt(List<Channel> carried) {
        for (Channel ch : carried) {
            ch.rebind(stream);
            everOpened.set(ch.id());
            table.put(ch);
            stream.flow.channelOpened(ch);
            stream.scheduler.channelOpened(ch);
        }
    }

    /** A channel carried over a resumption that the peer did not carry: it ends here, its handler told. */
    void endCarried(Channel ch, CloseReason reason) {
        ch.suspension = null;
        gone(ch, reason);
    }

    void endAll(CloseReason reason) {
        for (Channel ch : table.all()) {
            gone(ch, reason);
        }
    }

    private void gone(Channel ch, CloseReason reason) {
        table.remove(ch.id());
        ch.keys.wipeAll(ch);
        stream.reader.forget(ch);
        ch.state = Channel.State.CLOSED;
        stream.scheduler.failQueued(ch, reason);
        stream.flow.releaseHeld(ch);
        stream.reassembler.release(ch);
        stream.acks.channelGone(ch);
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

    private void sendControl(ControlMessage message) {
        stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(message));
    }
}
