package org.dapstream.protocol;

/**
 * The credit windows of flow control (docs/PROTOCOL.md, "Flow control"). Every side starts
 * with these windows for what it may send, before any WINDOW_UPDATE: a receiver can grant
 * more, never less, so they are also the smallest windows a node may be configured with.
 * Credit counts application payload bytes of DATA and CONTROL frames on channels 1..65535
 * (before compression, without fragment headers); frames on ch 0, CLOSE and ERROR are free.
 */
public final class FlowWindow {
    /** What one side may send on a newly opened channel before the receiver grants more: 1 MiB. */
    public static final int INITIAL_CHANNEL_WINDOW = 1024 * 1024;
    /** What one side may send on all channels of a stream together, from setup on: 4 MiB. */
    public static final int INITIAL_STREAM_WINDOW = 4 * 1024 * 1024;
    /** Largest window and so largest WINDOW_UPDATE increment: 2^31-1 bytes. */
    public static final long MAX_WINDOW = Integer.MAX_VALUE;

    private FlowWindow() {
    }
}
