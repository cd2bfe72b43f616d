package org.dapstream.stream;

import org.dapstream.crypto.FrameCipher;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Turns channels' queued messages into frames: a round robin over the channels that have
 * something to send, one frame per channel per turn, under each channel's and the stream's
 * credit and rate limits; MEDIA channels drop their oldest messages for fresher ones.
 * Event-loop confined.
 */
final class SendScheduler {
    /** The largest frame this side sends, the least a rate limit's bucket holds so every frame fits. */
    static final int LARGEST_FRAME = FrameHeader.SIZE + FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD;

    private final Stream stream;
    private final StreamTransport transport;
    private final FrameWriter writer;
    private final FlowControl flow;
    private final FlowConfig config;
    private final StreamClock clock;
    private final StreamCounters counters;
    /** Channels with queued messages that may send now, served one frame each in turn (fairness). */
    private final ArrayDeque<Channel> ring = new ArrayDeque<>();
    /** Null: no stream rate limit. */
    final TokenBucket streamRate;
    private boolean pumping;
    private boolean streamRateWaiting;

    SendScheduler(Stream stream, StreamTransport transport, FrameWriter writer, FlowControl flow, FlowConfig config,
                  StreamClock clock, StreamCounters counters) {
        this.stream = stream;
        this.transport = transport;
        this.writer = writer;
        this.flow = flow;
        this.config = config;
        this.clock = clock;
        this.counters = counters;
        this.streamRate = config.streamRate().limited() ? new TokenBucket(config.streamRate(), LARGEST_FRAME, clock.nanoTime()) : null;
    }

    /** A new channel's rate limit, and how large a write may skip the queue. */
    void channelOpened(Channel ch) {
        SendQueue q = ch.queue;
        if (config.channelRate().limited()) {
            q.rate = new TokenBucket(config.channelRate(), LARGEST_FRAME, clock.nanoTime());
        }
        q.directLimit = q.rate != null || streamRate != null ? -1 : Math.min(OutboundMessage.FRAGMENT_DATA, q.compressMin - 1);
    }

    /** Queues a message on its channel (a full MEDIA queue drops its oldest first) and sends what it can. */
    void enqueue(Channel ch, OutboundMessage m) {
        SendQueue q = ch.queue;
        if (ChannelType.MEDIA.equals(ch.type())) {
            dropForFreshness(ch, m.length);
        }
        q.outbound.addLast(m);
        q.queuedBytes += m.length;
        if (q.compressor != null) {
            q.compressor.writerHeldBack();
        }
        if (ch.observesPacketOut) {
            RuntimeException failure = writer.observePacketOut(ch, m.type, ByteBuffer.wrap(m.data), 0, m.length);
            if (failure != null) {
                ch.handlerFailed(failure);
                return;
            }
        }
        ring(ch);
        pump();
    }

    /**
     * A resumed channel's messages the peer lacks, queued all before any is sent: sending wakes
     * the channel's writer, whose next message must go behind every one of these.
     */
    void requeue(Channel ch, List<RetainedMessages.Message> messages) {
        SendQueue q = ch.queue;
        for (RetainedMessages.Message m : messages) {
            q.outbound.addLast(new OutboundMessage(m.type(), m.data(), m.data().length, null));
            q.queuedBytes += m.data().length;
        }
        if (!messages.isEmpty() && q.compressor != null) {
            q.compressor.writerHeldBack();
        }
        ring(ch);
        pump();
    }

    /** MEDIA: freshness over completeness. Drops the oldest queued messages not yet begun until {@code incoming} fits. */
    private void dropForFreshness(Channel ch, int incoming) {
        SendQueue q = ch.queue;
        Iterator<OutboundMessage> queued = q.outbound.iterator();
        while (q.queuedBytes + incoming > config.channelSendBuffer() && queued.hasNext()) {
            OutboundMessage old = queued.next();
            if (old.started()) {
                continue; // half sent: the peer is reassembling it, it must finish
            }
            queued.remove();
            q.queuedBytes -= old.length;
            q.mediaDropped++; // volatile, but only ever written here on the loop
            counters.mediaDropped();
            if (old.sent != null) {
                old.sent.completeExceptionally(new StreamException(ErrorCode.RESOURCE_EXHAUSTED,
                        ch + ": dropped from the full MEDIA queue for a fresher message"));
            }
        }
    }

    /** Puts a channel with something to send at the back of the round robin, unless it waits for credit or its rate. */
    private void ring(Channel ch) {
        SendQueue q = ch.queue;
        if (!q.inRing && !ch.send.stalled && !q.rateWaiting && !q.outbound.isEmpty()) {
            q.inRing = true;
            ring.addLast(ch);
        }
    }

    /** A channel's credit came back: it rejoins the round robin. */
    void resume(Channel ch) {
        ring(ch);
        pump();
    }

    /**
     * Sends queued messages, one frame per channel per turn so a large message on one channel
     * delays another channel's by at most one frame per busy channel. Stops when the
     * connection's queue is full (onWritable resumes it), the stream is out of credit (a
     * WINDOW_UPDATE resumes it) or the stream's rate limit says wait (a timer resumes it).
     */
    void pump() {
        // A closing stream sent its CLOSE: nothing more goes on channels (PROTOCOL.md 16.1);
        // what is still queued fails when the stream ends.
        if (pumping || !stream.active()) {
            return;
        }
        pumping = true;
        try {
            while (!ring.isEmpty() && !flow.send.stalled && !streamRateWaiting && !transport.writeQueueFull()) {
                Channel ch = ring.pollFirst();
                SendQueue q = ch.queue;
                q.inRing = false;
                OutboundMessage m = q.outbound.peekFirst();
                if (m == null || ch.state == Channel.State.CLOSED || (ch.state == Channel.State.CLOSING && !q.closeAfterDrain)) {
                    continue;
                }
                int chunk = m.nextChunk();
                if (ch.send.credit < chunk) {
                    ch.send.stalled = true;
                    counters.flowControlStall();
                    continue;
                }
                if (flow.send.credit < chunk) {
                    flow.send.stalled = true;
                    counters.flowControlStall();
                    q.inRing = true;
                    ring.addFirst(ch);
                    break;
                }
                boolean limited = q.rate != null || streamRate != null;
                if (limited && !rateAllows(ch, FrameHeader.SIZE + chunk + (m.fragmented() ? FragmentHeader.SIZE : 0)
                        + (stream.keys.encrypted() ? FrameCipher.TAG_SIZE : 0))) {
                    continue;
                }
                ch.send.take(chunk);
                flow.send.take(chunk);
                int frame = writer.sendQueuedFrame(ch, m, chunk);
                if (limited) {
                    takeRate(ch, frame);
                }
                m.done += chunk;
                q.queuedBytes -= chunk;
                if (m.done == m.length) {
                    q.outbound.pollFirst();
                    if (m.sent != null) {
                        m.sent.complete(null);
                    }
                }
                if (!q.outbound.isEmpty()) {
                    ring(ch);
                } else if (q.closeAfterDrain && ch.state == Channel.State.CLOSING) {
                    q.closeAfterDrain = false;
                    writer.sendChannelFrame(ch, PacketType.CLOSE, ch.closeReasonSent.encode());
                }
                stream.gate.wakeWriter(ch);
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
        SendQueue q = ch.queue;
        long now = clock.nanoTime();
        long channelWait = q.rate == null ? 0 : q.rate.delayNanos(now, frameBytes);
        long streamWait = channelWait > 0 || streamRate == null ? 0 : streamRate.delayNanos(now, frameBytes);
        if ((channelWait > 0 || streamWait > 0) && q.compressor != null) {
            q.compressor.rateLimitWaited(now); // the wire budget is the bottleneck: compression pays
        }
        if (channelWait > 0) {
            q.rateWaiting = true;
            transport.after(toMillisCeil(channelWait), () -> {
                q.rateWaiting = false;
                ring(ch);
                pump();
            });
            return false;
        }
        if (streamWait > 0) {
            streamRateWaiting = true;
            q.inRing = true;
            ring.addFirst(ch);
            transport.after(toMillisCeil(streamWait), () -> {
                streamRateWaiting = false;
                pump();
            });
            return false;
        }
        return true;
    }

    private void takeRate(Channel ch, int frameBytes) {
        if (ch.queue.rate != null) {
            ch.queue.rate.take(frameBytes);
        }
        if (streamRate != null) {
            streamRate.take(frameBytes);
        }
    }

    /** A timer's delay: whole milliseconds, rounded up, at least 1 (a 0 ms timer would spin). */
    private static long toMillisCeil(long nanos) {
        long oneMilli = TimeUnit.MILLISECONDS.toNanos(1);
        return Math.max(1, (nanos + oneMilli - 1) / oneMilli);
    }

    /** Messages still queued when a channel ends will never go: their futures fail, and they are counted and reported. */
    /**
     * The connection is gone and the channel is carried over to a resumed stream: its queued
     * messages are all kept (the store has them) and are sent again from there, so they are
     * dropped here without being reported lost. A {@code send} future among them fails: its
     * message did not go on this connection (it goes after the resumption).
     */
    void forgetQueued(Channel ch) {
        SendQueue q = ch.queue;
        OutboundMessage m;
        while ((m = q.outbound.pollFirst()) != null) {
            if (m.sent != null) {
                m.sent.completeExceptionally(new StreamException(ErrorCode.CONNECTION_LOST,
                        "the connection was lost before the message went; it is kept and sent when the session resumes"));
            }
        }
        q.queuedBytes = 0;
        q.inRing = false;
        q.rateWaiting = false;
    }

    void failQueued(Channel ch, CloseReason reason) {
        SendQueue q = ch.queue;
        if (q.outbound.isEmpty()) {
            return;
        }
        long bytes = q.queuedBytes;
        int count = q.outbound.size();
        OutboundMessage m;
        while ((m = q.outbound.pollFirst()) != null) {
            if (m.sent != null) {
                m.sent.completeExceptionally(new StreamException(reason));
            }
        }
        q.queuedBytes = 0;
        ch.lost.lostNow(ch, count, bytes, reason);
    }
}
