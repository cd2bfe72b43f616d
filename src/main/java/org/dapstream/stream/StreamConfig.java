package org.dapstream.stream;

import org.dapstream.protocol.FrameLimits;

import java.time.Duration;

/**
 * Per-stream limits and timers. The server fills it from {@code dap.stream.*} config keys,
 * the client from its options; each default is a named constant documented in
 * {@code docs/OPERATIONS.md}.
 *
 * @param maxFramePayload   largest received frame {@code size} accepted before buffering
 * @param keepAliveInterval a ping is sent when nothing was written for this long
 * @param keepAliveTimeout  a stream whose read side is silent this long is closed
 * @param setupTimeout      the stream setup must finish within this time of connecting
 * @param maxChannels       channels open at once on one stream (both sides together)
 * @param writeHighWater    bytes queued by writers off the event loop before {@code write} reports back-pressure
 * @param flow              flow control, fragmentation, rate limits and compression
 * @param frameTimeout      a frame begun after setup must be complete within this time, however
 *                          steadily its bytes trickle in (TRUNCATED_FRAME)
 * @param outputBudget      bytes the stream may have queued for a peer that does not read them
 *                          (see {@link OutputBudget}); over it, the stream stops reading the connection
 * @param outputStallTimeout a stream that stays over its output budget this long ends with {@code OUTPUT_STALLED}
 * @param sessionStoreBytes bytes of written, unacknowledged messages a stream that agreed
 *                          acknowledgements keeps before its writers are told to wait (see {@link SessionStore})
 */
public record StreamConfig(int maxFramePayload, Duration keepAliveInterval, Duration keepAliveTimeout,
                           Duration setupTimeout, int maxChannels, int writeHighWater, FlowConfig flow,
                           Duration frameTimeout, int outputBudget, Duration outputStallTimeout, int sessionStoreBytes) {
    /** The seed's {@code STREAM_KEEPALIVE_TIMEOUT}: 3 s. */
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(3);
    /** A third of the timeout, so two pings can be lost before the peer gives up: 1 s. */
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(1);
    /** 5 s: the deadline for the whole setup, the secure handshake included. */
    public static final Duration DEFAULT_SETUP_TIMEOUT = Duration.ofSeconds(5);
    /** 1024 channels per stream. */
    public static final int DEFAULT_MAX_CHANNELS = 1024;
    /** 1 MiB of off-loop writes in flight per stream. */
    public static final int DEFAULT_WRITE_HIGH_WATER = 1024 * 1024;
    /**
     * 10 s for one frame: a full 65,792-byte frame at 53 kbit/s. A frame is written whole, so
     * on any working path it arrives within a few round trips; only a peer that drips it takes longer.
     */
    public static final Duration DEFAULT_FRAME_TIMEOUT = Duration.ofSeconds(10);
    /** 4 MiB of output queued for one stream's peer before its connection is no longer read. */
    public static final int DEFAULT_OUTPUT_BUDGET = 4 * 1024 * 1024;
    /** 10 s over the output budget, without the peer reading it down, ends the stream. */
    public static final Duration DEFAULT_OUTPUT_STALL_TIMEOUT = Duration.ofSeconds(10);
    /** 16 MiB of unacknowledged messages per session (streams that agreed acknowledgements). */
    public static final int DEFAULT_SESSION_STORE_BYTES = SessionStore.DEFAULT_LIMIT;
    /** The least output budget: the largest frame and then some, so one reply never trips it. */
    public static final int MIN_OUTPUT_BUDGET = 256 * 1024;

    public StreamConfig {
        FrameLimits.checkConfigured(maxFramePayload);
        positive("keepAliveInterval", keepAliveInterval);
        positive("keepAliveTimeout", keepAliveTimeout);
        positive("setupTimeout", setupTimeout);
        positive("frameTimeout", frameTimeout);
        if (maxChannels < 1 || maxChannels > 65535) {
            throw new IllegalArgumentException("maxChannels must be 1..65535, got " + maxChannels);
        }
        if (flow == null) {
            throw new IllegalArgumentException("flow must not be null; use FlowConfig.defaults()");
        }
        if (writeHighWater < 1024) {
            throw new IllegalArgumentException("writeHighWater must be at least 1024 bytes, got " + writeHighWater);
        }
        if (outputBudget < MIN_OUTPUT_BUDGET) {
            throw new IllegalArgumentException("outputBudget must be at least " + MIN_OUTPUT_BUDGET + " bytes, got " + outputBudget);
        }
        positive("outputStallTimeout", outputStallTimeout);
        if (sessionStoreBytes < SessionStore.MIN_LIMIT) {
            throw new IllegalArgumentException("sessionStoreBytes must be at least " + SessionStore.MIN_LIMIT + " bytes, got " + sessionStoreBytes);
        }
    }

    /** The limits with the default session store. */
    public StreamConfig(int maxFramePayload, Duration keepAliveInterval, Duration keepAliveTimeout,
                        Duration setupTimeout, int maxChannels, int writeHighWater, FlowConfig flow,
                        Duration frameTimeout, int outputBudget, Duration outputStallTimeout) {
        this(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                frameTimeout, outputBudget, outputStallTimeout, DEFAULT_SESSION_STORE_BYTES);
    }

    /** The limits with the default frame deadline and output budget. */
    public StreamConfig(int maxFramePayload, Duration keepAliveInterval, Duration keepAliveTimeout,
                        Duration setupTimeout, int maxChannels, int writeHighWater, FlowConfig flow) {
        this(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                DEFAULT_FRAME_TIMEOUT, DEFAULT_OUTPUT_BUDGET, DEFAULT_OUTPUT_STALL_TIMEOUT);
    }

    public static StreamConfig defaults() {
        return new StreamConfig(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD, DEFAULT_KEEPALIVE_INTERVAL,
                DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_SETUP_TIMEOUT, DEFAULT_MAX_CHANNELS,
                DEFAULT_WRITE_HIGH_WATER, FlowConfig.defaults());
    }

    public StreamConfig withKeepAlive(Duration interval, Duration timeout) {
        return new StreamConfig(maxFramePayload, interval, timeout, setupTimeout, maxChannels, writeHighWater, flow,
                frameTimeout, outputBudget, outputStallTimeout, sessionStoreBytes);
    }

    public StreamConfig withSetupTimeout(Duration timeout) {
        return new StreamConfig(maxFramePayload, keepAliveInterval, keepAliveTimeout, timeout, maxChannels, writeHighWater, flow,
                frameTimeout, outputBudget, outputStallTimeout, sessionStoreBytes);
    }

    public StreamConfig withFlow(FlowConfig flow) {
        return new StreamConfig(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                frameTimeout, outputBudget, outputStallTimeout, sessionStoreBytes);
    }

    public StreamConfig withFrameTimeout(Duration timeout) {
        return new StreamConfig(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                timeout, outputBudget, outputStallTimeout, sessionStoreBytes);
    }

    /** Output budget and stall timeout, see {@link OutputBudget}. */
    public StreamConfig withOutputBudget(int budget, Duration stallTimeout) {
        return new StreamConfig(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                frameTimeout, budget, stallTimeout, sessionStoreBytes);
    }

    /** Bytes of unacknowledged messages kept before writers wait, see {@link SessionStore}. */
    public StreamConfig withSessionStore(int bytes) {
        return new StreamConfig(maxFramePayload, keepAliveInterval, keepAliveTimeout, setupTimeout, maxChannels, writeHighWater, flow,
                frameTimeout, outputBudget, outputStallTimeout, bytes);
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
