package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Whether the peer is still there and keeping up, checked on a tick (PROTOCOL.md section
 * 13): keepalive pings and pongs, the read-silence timeout, the deadline for a frame begun
 * and not finished, the reassembly timeout, and giving back an idle stream's buffers.
 * Event-loop confined.
 */
final class Liveness {
    /** A ping interval adopted from the peer's timeout is a third of it: two pings may be lost. */
    private static final int PINGS_PER_PEER_TIMEOUT = 3;
    /** The shortest ping interval a peer's timeout can ask for. */
    private static final long MIN_PING_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Stream stream;
    private final StreamTransport transport;
    private final StreamConfig config;
    private final StreamClock clock;
    private final StreamCounters counters;
    private final FrameDecoder decoder;
    private KeepAlive keepAlive;
    private StreamTransport.Cancellable ticker;
    /** Bytes arrived since the last tick. */
    boolean readSinceTick;
    /** A tick found a frame in part: since when (clock time), and the frames decoded then. */
    private boolean partialFrameSeen;
    private long partialFrameSince;
    private long partialFrameDecoded;

    Liveness(Stream stream, StreamTransport transport, LocalNode node, FrameDecoder decoder) {
        this.stream = stream;
        this.transport = transport;
        this.config = node.config();
        this.clock = node.clock();
        this.counters = node.counters();
        this.decoder = decoder;
    }

    /** Starts the keepalive and the tick. */
    void start() {
        schedule(config.keepAliveInterval().toNanos());
    }

    void stop() {
        if (ticker != null) {
            ticker.cancel();
        }
    }

    private void schedule(long intervalNanos) {
        keepAlive = new KeepAlive(intervalNanos, config.keepAliveTimeout().toNanos(), clock.nanoTime());
        if (ticker != null) {
            ticker.cancel();
        }
        ticker = transport.every(KeepAlive.tickMillis(intervalNanos, config.keepAliveTimeout().toNanos()), this::tick);
    }

    /** Ping often enough for the peer's timeout too: three pings per peer timeout. */
    void adoptPeerTimeout(int peerTimeoutMillis) {
        long peerTimeout = TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(peerTimeoutMillis));
        long interval = Math.min(config.keepAliveInterval().toNanos(), Math.max(MIN_PING_INTERVAL_NANOS, peerTimeout / PINGS_PER_PEER_TIMEOUT));
        if (peerTimeout > 0 && interval < config.keepAliveInterval().toNanos()) {
            schedule(interval);
        }
    }

    /** A KEEPALIVE on ch 0: a pong's round trip is measured, a ping is answered. */
    void onKeepAlive(ByteBuffer payload) throws ProtocolException {
        KeepAlivePayload ka = KeepAlivePayload.decode(payload);
        if (ka.pong()) {
            long rtt = keepAlive.onPong(clock.nanoTime(), ka.timestamp());
            if (rtt >= 0) {
                counters.roundTrip(rtt);
            } else {
                counters.pongIgnored();
            }
        } else if (!stream.closing()) {
            byte[] pong = new byte[KeepAlivePayload.SIZE];
            KeepAlivePayload.encode(pong, 0, true, ka.timestamp());
            stream.writer.sendStreamFrame(PacketType.KEEPALIVE, pong);
        }
    }

    /** The tick, every quarter interval. */
    void tick() {
        if (stream.state() != StreamState.ACTIVE) {
            return; // during setup its own deadline governs; a closed stream has no timers
        }
        boolean read = readSinceTick;
        boolean wrote = stream.writer.wroteSinceTick;
        readSinceTick = false;
        stream.writer.wroteSinceTick = false;
        if (!read && !wrote) {
            stream.releaseIdleBuffers();
        }
        stream.output.drained();
        read |= stream.output.readingStopped(); // we chose not to read: that silence is not the peer's
        Session session = stream.session();
        if (read && session != null) {
            session.touch(clock.currentTimeMillis());
        }
        ProtocolException stalled = stream.reassembler.timedOut(stream.channels.all());
        if (stalled == null) {
            stalled = frameTimedOut();
        }
        if (stalled != null) {
            stream.fail(stalled);
            return;
        }
        KeepAlive.Action action = keepAlive.tick(clock.nanoTime(), read, wrote);
        if (action == KeepAlive.Action.TIMEOUT) {
            long silentMs = config.keepAliveTimeout().toMillis();
            if (decoder.hasPartialFrame()) {
                counters.frameTruncated();
                stream.fail(new ProtocolException(ErrorCode.TRUNCATED_FRAME, "a frame was begun and not completed within " + silentMs + " ms"));
            } else {
                counters.keepAliveTimeout();
                stream.fail(new ProtocolException(ErrorCode.KEEPALIVE_TIMEOUT, "no bytes from the peer for " + silentMs + " ms"));
            }
        } else if (action == KeepAlive.Action.PING && stream.active()) {
            byte[] ping = new byte[KeepAlivePayload.SIZE];
            long stamp = clock.nanoTime();
            keepAlive.pingSent(stamp);
            KeepAlivePayload.encode(ping, 0, false, stamp);
            stream.writer.sendStreamFrame(PacketType.KEEPALIVE, ping);
        }
    }

    /**
     * The frame deadline: read silence alone misses a peer that drips a frame a byte at a
     * time. Checked per tick, never per read: the clock starts at the first tick that finds
     * a frame in part, and restarts whenever a frame completed in between or our own reading
     * is paused (then the peer cannot finish it).
     *
     * @return the TRUNCATED_FRAME error once the deadline passed, else null
     */
    private ProtocolException frameTimedOut() {
        if (!decoder.hasPartialFrame() || stream.reading.paused()) {
            partialFrameSeen = false;
            return null;
        }
        long now = clock.nanoTime();
        long decoded = decoder.framesDecoded();
        if (!partialFrameSeen || decoded != partialFrameDecoded) {
            partialFrameSeen = true;
            partialFrameSince = now;
            partialFrameDecoded = decoded;
            return null;
        }
        if (now - partialFrameSince < config.frameTimeout().toNanos()) {
            return null;
        }
        counters.frameTruncated();
        return new ProtocolException(ErrorCode.TRUNCATED_FRAME, "a frame was begun and not completed within "
                + config.frameTimeout().toMillis() + " ms");
    }

    /** Mean keepalive round trip, ms; NaN before the first. */
    double avgLatencyMillis() {
        KeepAlive ka = keepAlive;
        return ka == null ? Double.NaN : ka.avgLatencyMillis();
    }
}
