package org.dapstream.stream;

import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

/**
 * A stream's flow control (PROTOCOL.md section 12): the stream's send and receive windows
 * beside each channel's, the credit the peer uses, the WINDOW_UPDATEs this side grants as
 * the application consumes, window growth, and the credit held by messages that wait unread.
 * Credit counts application payload bytes. Event-loop confined.
 */
final class FlowControl {
    private final Stream stream;
    private final FlowConfig config;
    private final StreamClock clock;
    /** Payload bytes the peer lets us send on all channels together. */
    final SendWindow send = new SendWindow(FlowWindow.INITIAL_STREAM_WINDOW);
    /** Payload bytes the peer may still send us on all channels together. */
    final ReceiveWindow receive = new ReceiveWindow(FlowWindow.INITIAL_STREAM_WINDOW);

    FlowControl(Stream stream, FlowConfig config, StreamClock clock) {
        this.stream = stream;
        this.config = config;
        this.clock = clock;
    }

    /** The configured channel window (pull mode credits reads in parts of it). */
    long channelWindow() {
        return config.channelWindow();
    }

    // ---------------------------------------------------------------- receiving

    /** The peer used {@code size} bytes of its credit on {@code ch}. */
    void take(Channel ch, int size) throws ProtocolException {
        if (!ch.receive.take(size) | !receive.take(size)) {
            throw overCredit(ch, size);
        }
    }

    /**
     * The fast path's consumption of a delivered message: both sums, then one test, since a
     * WINDOW_UPDATE is due every half window only.
     */
    void consumedFast(Channel ch, int size) {
        if (ch.receive.consumed(size) | receive.consumed(size)) {
            grantDue(ch, true);
        }
    }

    /**
     * The application took {@code size} bytes (handled in push mode, read in pull mode, or
     * taken by reassembly): grant them back once half a window has gathered.
     * {@code byApplication}: the application's own pace (may grow the windows), not bytes that
     * wait unread in reassembly or were dropped.
     */
    void consumed(Channel ch, long size, boolean byApplication) {
        ch.receive.consumed(size);
        receive.consumed(size);
        grantDue(ch, byApplication);
    }

    /** Bytes reassembly credited that now wait unread: their credit is taken back until they are read. */
    void unconsumed(Channel ch, long size) {
        ch.receive.pending -= size;
        receive.pending -= size;
    }

    /**
     * Sends the WINDOW_UPDATEs that half a window of consumed bytes has made due (channel,
     * then stream). Only consumption by the application may grow a window (WindowGrowth):
     * bytes taken by reassembly say nothing about how fast the application reads.
     */
    private void grantDue(Channel ch, boolean mayGrow) {
        if (ch.receive.grantDue() && ch.state == Channel.State.OPEN && stream.active()) {
            windowUpdate(ch.id(), ch.receive.grant(clock.nanoTime(), mayGrow, config.maxChannelWindow()));
        }
        grantStreamDue(mayGrow);
    }

    private void grantStreamDue(boolean mayGrow) {
        if (receive.grantDue() && stream.active()) {
            windowUpdate(0, receive.grant(clock.nanoTime(), mayGrow, config.maxStreamWindow()));
        }
    }

    /**
     * A channel that ends with unread (pull) or held (paused) packets, or with reads not yet
     * credited, would keep that much of the stream window taken for good: no read of it
     * credits anything once the channel is closed. Give it back to the stream now.
     */
    void releaseHeld(Channel ch) {
        long held = ch.inbox.bytes.get() + ch.inbox.readUncredited.getAndSet(0);
        if (held > 0 && stream.active()) {
            receive.pending += held;
            grantStreamDue(false);
        }
    }

    /** A new channel: a configured window above the protocol's initial one is granted at once. */
    void channelOpened(Channel ch) {
        long extra = ch.receive.start(config.channelWindow(), clock.nanoTime());
        if (extra > 0) {
            windowUpdate(ch.id(), extra);
        }
    }

    /** Setup done: the stream's configured window, before anything the application may send once ready. */
    void streamActive() {
        long extra = receive.start(config.streamWindow(), clock.nanoTime());
        if (extra > 0) {
            windowUpdate(0, extra);
        }
    }

    private void windowUpdate(int chId, long increment) {
        stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(new ControlMessage.WindowUpdate(chId, increment)));
    }

    private ProtocolException overCredit(Channel ch, int size) {
        boolean channel = ch.receive.credit < 0;
        return new ProtocolException(ErrorCode.FLOW_CONTROL_VIOLATION, (channel ? "channel " + ch.id() : "the stream") + ": "
                + size + " payload bytes arrived beyond the credit granted ("
                + (channel ? ch.receive.credit : receive.credit) + " after them)");
    }

    // ---------------------------------------------------------------- sending

    /** The peer's WINDOW_UPDATE: more credit, and the sender goes on if it waited for it. */
    void onWindowUpdate(ControlMessage.WindowUpdate update) throws ProtocolException {
        if (update.channelId() == 0) {
            if (send.grant(update.increment(), "the stream window")) {
                stream.scheduler.pump();
            }
            return;
        }
        Channel ch = stream.channels.get(update.channelId());
        if (ch == null) {
            return; // closed meanwhile, or refused at open: nothing to send there
        }
        if (ch.send.grant(update.increment(), "channel " + ch.id() + "'s window")) {
            stream.scheduler.resume(ch);
        }
    }
}
