package org.dapstream.stream;

import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;

/**
 * Per-frame debug tracing, the seed's {@code g_dap_stream_debug_more}: one line per frame in
 * and out (direction, type, channel, seq, size, flags), off by default and switchable at run
 * time. It never prints payload bytes, of any channel: a trace must be safe to paste into a
 * bug report whatever the channel carries.
 */
public final class FrameTrace {
    /** Logger name; lines are written at INFO so switching tracing on is enough to see them. */
    public static final String LOGGER = "org.dapstream.trace";
    private static final System.Logger LOG = System.getLogger(LOGGER);
    private static volatile boolean enabled;

    private FrameTrace() {
    }

    public static boolean enabled() {
        return enabled;
    }

    public static void enable(boolean on) {
        enabled = on;
    }

    /** The line for one frame; {@code in} is true for received frames. */
    public static String line(int streamId, boolean in, PacketType type, int channelId, int seqId, int size, int flags) {
        return "stream " + streamId + (in ? " <- " : " -> ") + type + " ch=" + channelId
                + " seq=" + Integer.toUnsignedString(seqId) + " size=" + size + " flags=" + Flags.describe(flags);
    }

    static void frame(int streamId, boolean in, PacketType type, int channelId, int seqId, int size, int flags) {
        LOG.log(System.Logger.Level.INFO, line(streamId, in, type, channelId, seqId, size, flags));
    }
}
