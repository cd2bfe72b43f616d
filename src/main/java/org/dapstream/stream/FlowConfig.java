package org.dapstream.stream;

import org.dapstream.compress.CompressionGoal;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.FrameLimits;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Flow control, fragmentation, rate limits and compression of one stream. The server fills
 * it from {@code dap.stream.flow.*}, the client from its options; docs/OPERATIONS.md has the
 * defaults and how to tune them.
 *
 * @param channelWindow      receive window per channel: payload bytes the peer may have sent and
 *                           this side's application not yet consumed (push: handled; pull: read)
 * @param streamWindow       receive window of the whole stream, all channels together; with
 *                           {@code maxReassemblyBytes} it bounds what one peer makes this side hold
 * @param channelSendBuffer  bytes queued on one channel (waiting for credit, rate or the socket)
 *                           before {@code write} reports back-pressure; a MEDIA channel drops its
 *                           oldest queued messages beyond it
 * @param maxMessageSize     largest message written or reassembled; larger than one frame goes in fragments
 * @param maxReassemblyBytes bytes of partly received fragmented messages one stream holds, all channels
 * @param reassemblyTimeout  a started fragmented message that gets no fragment for this long ends the stream
 * @param streamRate         send rate limit of the stream (all channels)
 * @param channelRate        send rate limit of each channel
 * @param compression        offer adaptive LZ4 on the channels this side opens (never by default on
 *                           SECURITY channels), and compress on channels where it was negotiated
 * @param maxChannelWindow   largest a channel's receive window grows to while its application consumes
 *                           half of it within {@code WindowGrowth.GROWTH_INTERVAL_NANOS} (100 ms); at least
 *                           {@code channelWindow}; {@link #NO_GROWTH} (the default) or equal to it: the window
 *                           stays as configured
 * @param maxStreamWindow    the same for the stream window; with {@code maxReassemblyBytes} it bounds what
 *                           a peer can make this side hold
 * @param compressionGoal    what compression optimises on a channel whose writer is held back:
 *                           payload throughput (the default, measured by trials) or bytes on the wire
 */
public record FlowConfig(int channelWindow, int streamWindow, int channelSendBuffer, int maxMessageSize,
                         int maxReassemblyBytes, Duration reassemblyTimeout, RateLimit streamRate,
                         RateLimit channelRate, boolean compression, long maxChannelWindow, long maxStreamWindow,
                         CompressionGoal compressionGoal) {
    /** 1 MiB: the protocol's initial channel window (no WINDOW_UPDATE needed at open). */
    public static final int DEFAULT_CHANNEL_WINDOW = FlowWindow.INITIAL_CHANNEL_WINDOW;
    /** 4 MiB: the protocol's initial stream window. */
    public static final int DEFAULT_STREAM_WINDOW = FlowWindow.INITIAL_STREAM_WINDOW;
    /**
     * A maximum of 0: the window does not grow (the default). Growth buys bulk throughput on
     * paths whose bandwidth-delay product exceeds the window, and costs every other channel of
     * the stream latency, because the bytes a larger window lets into the socket buffers queue
     * ahead of their frames (measured: docs/decisions/0113-windows-grow-off-by-default.md).
     */
    public static final long NO_GROWTH = 0;
    /** Windows fixed at the configured size by default. */
    public static final long DEFAULT_MAX_CHANNEL_WINDOW = NO_GROWTH;
    public static final long DEFAULT_MAX_STREAM_WINDOW = NO_GROWTH;
    /** 8 MiB: a channel maximum for a high bandwidth-delay path (1 Gbit/s across 67 ms). */
    public static final long SUGGESTED_MAX_CHANNEL_WINDOW = 8L * 1024 * 1024;
    /** 16 MiB: a stream maximum to go with it (gRPC's and quic-go's limits are of this order). */
    public static final long SUGGESTED_MAX_STREAM_WINDOW = 16L * 1024 * 1024;
    /** 1 MiB per channel. */
    public static final int DEFAULT_CHANNEL_SEND_BUFFER = 1024 * 1024;
    /** 1 KiB: the smallest channel send buffer a node accepts. */
    public static final int MIN_CHANNEL_SEND_BUFFER = 1024;
    /** 16 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
    /** Largest message size a node may be configured with: 1 GiB. */
    public static final int HARD_CAP_MESSAGE_SIZE = 1024 * 1024 * 1024;
    /** 64 MiB per stream: four largest default messages at once. */
    public static final int DEFAULT_MAX_REASSEMBLY_BYTES = 64 * 1024 * 1024;
    /** 30 s without a fragment. */
    public static final Duration DEFAULT_REASSEMBLY_TIMEOUT = Duration.ofSeconds(30);

    public FlowConfig {
        if (channelWindow < FlowWindow.INITIAL_CHANNEL_WINDOW) {
            throw new IllegalArgumentException("channelWindow must be at least the protocol's initial window "
                    + FlowWindow.INITIAL_CHANNEL_WINDOW + " bytes (a peer may send that much before any update), got " + channelWindow);
        }
        if (streamWindow < FlowWindow.INITIAL_STREAM_WINDOW) {
            throw new IllegalArgumentException("streamWindow must be at least the protocol's initial window "
                    + FlowWindow.INITIAL_STREAM_WINDOW + " bytes, got " + streamWindow);
        }
        if (channelSendBuffer < MIN_CHANNEL_SEND_BUFFER) {
            throw new IllegalArgumentException("channelSendBuffer must be at least " + MIN_CHANNEL_SEND_BUFFER + " bytes, got " + channelSendBuffer);
        }
        if (maxMessageSize < FrameLimits.DEFAULT_MESSAGE_PAYLOAD || maxMessageSize > HARD_CAP_MESSAGE_SIZE) {
            throw new IllegalArgumentException("maxMessageSize must be " + FrameLimits.DEFAULT_MESSAGE_PAYLOAD
                    + ".." + HARD_CAP_MESSAGE_SIZE + " bytes, got " + maxMessageSize);
        }
        if (maxReassemblyBytes < maxMessageSize) {
            throw new IllegalArgumentException("maxReassemblyBytes (" + maxReassemblyBytes + ") must hold at least one message of maxMessageSize ("
                    + maxMessageSize + ")");
        }
        if (reassemblyTimeout == null || reassemblyTimeout.isNegative() || reassemblyTimeout.isZero()) {
            throw new IllegalArgumentException("reassemblyTimeout must be a positive duration, got " + reassemblyTimeout);
        }
        if (maxChannelWindow == NO_GROWTH) {
            maxChannelWindow = channelWindow;
        }
        if (maxStreamWindow == NO_GROWTH) {
            maxStreamWindow = streamWindow;
        }
        if (maxChannelWindow < channelWindow || maxChannelWindow > FlowWindow.MAX_WINDOW) {
            throw new IllegalArgumentException("maxChannelWindow must be 0 (no growth) or channelWindow (" + channelWindow + ") .. 2^31-1 bytes, got "
                    + maxChannelWindow);
        }
        if (maxStreamWindow < streamWindow || maxStreamWindow > FlowWindow.MAX_WINDOW) {
            throw new IllegalArgumentException("maxStreamWindow must be 0 (no growth) or streamWindow (" + streamWindow + ") .. 2^31-1 bytes, got "
                    + maxStreamWindow);
        }
        if (compressionGoal == null) {
            throw new IllegalArgumentException("compressionGoal must not be null");
        }
        if (streamRate == null || channelRate == null) {
            throw new IllegalArgumentException("rate limits must not be null; use RateLimit.NONE");
        }
    }

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_CHANNEL_WINDOW, DEFAULT_STREAM_WINDOW, DEFAULT_CHANNEL_SEND_BUFFER, DEFAULT_MAX_MESSAGE_SIZE,
                DEFAULT_MAX_REASSEMBLY_BYTES, DEFAULT_REASSEMBLY_TIMEOUT, RateLimit.NONE, RateLimit.NONE, true,
                DEFAULT_MAX_CHANNEL_WINDOW, DEFAULT_MAX_STREAM_WINDOW, CompressionGoal.THROUGHPUT);
    }

    public FlowConfig withWindows(int channel, int stream) {
        return edit(d -> {
            d.channelWindow = channel;
            d.streamWindow = stream;
            d.maxChannelWindow = Math.max(channel, maxChannelWindow);
            d.maxStreamWindow = Math.max(stream, maxStreamWindow);
        });
    }

    /** Windows that grow to at most {@code maxChannel} and {@code maxStream}; {@link #NO_GROWTH} or equal to the windows: fixed. */
    public FlowConfig withMaxWindows(long maxChannel, long maxStream) {
        return edit(d -> {
            d.maxChannelWindow = maxChannel;
            d.maxStreamWindow = maxStream;
        });
    }

    public FlowConfig withChannelSendBuffer(int bytes) {
        return edit(d -> d.channelSendBuffer = bytes);
    }

    public FlowConfig withMessageLimits(int maxMessage, int maxReassembly, Duration timeout) {
        return edit(d -> {
            d.maxMessageSize = maxMessage;
            d.maxReassemblyBytes = maxReassembly;
            d.reassemblyTimeout = timeout;
        });
    }

    public FlowConfig withRates(RateLimit stream, RateLimit channel) {
        return edit(d -> {
            d.streamRate = stream;
            d.channelRate = channel;
        });
    }

    public FlowConfig withCompressionGoal(CompressionGoal goal) {
        return edit(d -> d.compressionGoal = goal);
    }

    public FlowConfig withCompression(boolean on) {
        return edit(d -> d.compression = on);
    }

    /** A copy of this configuration with {@code change} applied, validated like any other. */
    private FlowConfig edit(Consumer<Draft> change) {
        Draft d = new Draft(this);
        change.accept(d);
        return d.toConfig();
    }

    /** The components of a configuration being edited: the one place that lists them all for a copy. */
    private static final class Draft {
        int channelWindow;
        int streamWindow;
        int channelSendBuffer;
        int maxMessageSize;
        int maxReassemblyBytes;
        Duration reassemblyTimeout;
        RateLimit streamRate;
        RateLimit channelRate;
        boolean compression;
        long maxChannelWindow;
        long maxStreamWindow;
        CompressionGoal compressionGoal;

        Draft(FlowConfig from) {
            channelWindow = from.channelWindow;
            streamWindow = from.streamWindow;
            channelSendBuffer = from.channelSendBuffer;
            maxMessageSize = from.maxMessageSize;
            maxReassemblyBytes = from.maxReassemblyBytes;
            reassemblyTimeout = from.reassemblyTimeout;
            streamRate = from.streamRate;
            channelRate = from.channelRate;
            compression = from.compression;
            maxChannelWindow = from.maxChannelWindow;
            maxStreamWindow = from.maxStreamWindow;
            compressionGoal = from.compressionGoal;
        }

        FlowConfig toConfig() {
            return new FlowConfig(channelWindow, streamWindow, channelSendBuffer, maxMessageSize, maxReassemblyBytes,
                    reassemblyTimeout, streamRate, channelRate, compression, maxChannelWindow, maxStreamWindow, compressionGoal);
        }
    }
}
