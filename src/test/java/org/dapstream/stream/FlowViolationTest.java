package org.dapstream.stream;

import static org.dapstream.stream.FlowControlTest.FRAME;
import static org.dapstream.stream.FlowControlTest.WINDOW;
import static org.dapstream.stream.FlowControlTest.fillWindow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a peer must not do under flow control and fragmentation, as one table: each row is a
 * script of frames the peer sends to a fresh active acceptor with pull-mode channels (nothing
 * read, so no credit comes back), the ERROR code and the exact reason the stream ends with.
 */
class FlowViolationTest extends EngineTest {
    /** Small limits so the rows stay small: messages up to 256 KiB, 320 KiB reassembling per stream. */
    static final int MAX_MESSAGE = 256 * 1024;
    static final int MAX_REASSEMBLY = 320 * 1024;
    static final Duration REASSEMBLY_TIMEOUT = Duration.ofSeconds(2);

    record Row(String name, Consumer<StreamHarness> peer, ErrorCode code, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static StreamConfig config() {
        return StreamHarness.defaults().withFlow(FlowConfig.defaults().withMessageLimits(MAX_MESSAGE, MAX_REASSEMBLY, REASSEMBLY_TIMEOUT));
    }

    private static void fragment(StreamHarness h, int ch, boolean more, long total, long offset, int data) {
        h.peer.send(PacketType.DATA, ch, more ? Flags.FRAGMENTED : 0, Fragments.payload(total, offset, data));
    }

    /** WINDOW_UPDATE built byte by byte, for increments the codec refuses to encode. */
    private static void rawWindowUpdate(StreamHarness h, int ch, long increment) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(7).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) ControlMessage.KIND_WINDOW_UPDATE).putShort((short) ch).putInt((int) increment);
        h.peer.send(PacketType.CONTROL, 0, b.array());
    }

    static List<Row> violations() {
        int total = 200_000;
        return List.of(
                // ---- credit
                new Row("DATA beyond the channel window", h -> {
                    fillWindow(h, 1);
                    h.peer.data(1, new byte[1]);
                }, ErrorCode.FLOW_CONTROL_VIOLATION, "channel 1: 1 payload bytes arrived beyond the credit granted (-1 after them)"),
                new Row("CONTROL on a channel counts too", h -> {
                    fillWindow(h, 1);
                    h.peer.send(PacketType.CONTROL, 1, new byte[10]);
                }, ErrorCode.FLOW_CONTROL_VIOLATION, "channel 1: 10 payload bytes arrived beyond the credit granted (-10 after them)"),
                new Row("a fragment beyond the channel window", h -> {
                    for (int i = 0; i < WINDOW / FRAME - 1; i++) {
                        h.peer.data(1, new byte[FRAME]);
                    }
                    h.peer.data(1, new byte[FRAME - 100]);
                    fragment(h, 1, true, total, 0, 101);
                }, ErrorCode.FLOW_CONTROL_VIOLATION, "channel 1: 101 payload bytes arrived beyond the credit granted (-1 after them)"),
                new Row("DATA beyond the stream window on a fifth channel", h -> {
                    for (int ch = 1; ch <= 7; ch += 2) {
                        if (ch > 1) {
                            h.peerOpens(ch);
                        }
                        fillWindow(h, ch);
                    }
                    h.peerOpens(9);
                    h.peer.data(9, new byte[7]);
                }, ErrorCode.FLOW_CONTROL_VIOLATION, "the stream: 7 payload bytes arrived beyond the credit granted (-7 after them)"),
                new Row("WINDOW_UPDATE growing a channel window past 2^31-1", h ->
                        h.peer.control(new ControlMessage.WindowUpdate(1, FlowWindow.MAX_WINDOW - WINDOW + 1)),
                        ErrorCode.FLOW_CONTROL_VIOLATION, "WINDOW_UPDATE grew channel 1's window to 2147483648, past 2^31-1"),
                new Row("WINDOW_UPDATEs adding up past 2^31-1 on the stream", h -> {
                    h.peer.control(new ControlMessage.WindowUpdate(0, FlowWindow.MAX_WINDOW - FlowWindow.INITIAL_STREAM_WINDOW));
                    h.peer.control(new ControlMessage.WindowUpdate(0, 1));
                }, ErrorCode.FLOW_CONTROL_VIOLATION, "WINDOW_UPDATE grew the stream window to 2147483648, past 2^31-1"),
                new Row("WINDOW_UPDATE increment 0", h -> rawWindowUpdate(h, 1, 0),
                        ErrorCode.MALFORMED_CONTROL, "WINDOW_UPDATE increment 0 for channel 1; it must be 1..2147483647"),
                new Row("WINDOW_UPDATE increment 2^31", h -> rawWindowUpdate(h, 0, 1L << 31),
                        ErrorCode.MALFORMED_CONTROL, "WINDOW_UPDATE increment 2147483648 for channel 0; it must be 1..2147483647"),
                // ---- fragments
                new Row("a fragment of no message in progress (offset != 0)", h -> fragment(h, 1, true, total, FRAME, FRAME),
                        ErrorCode.UNKNOWN_FRAGMENT, "channel 1: fragment at offset 65536 of a 200000-byte message that was never started"),
                new Row("a continuation at the wrong offset", h -> {
                    fragment(h, 1, true, total, 0, FRAME);
                    fragment(h, 1, true, total, 0, FRAME);
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment at offset 0 of a 200000-byte message; expected offset 65536 of 200000"),
                new Row("a continuation with a changed total", h -> {
                    fragment(h, 1, true, total, 0, FRAME);
                    fragment(h, 1, true, total + 1, FRAME, FRAME);
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment at offset 65536 of a 200001-byte message; expected offset 65536 of 200000"),
                new Row("a fragment past the total", h -> {
                    fragment(h, 1, true, 100_000, 0, FRAME);
                    fragment(h, 1, true, 100_000, FRAME, FRAME);
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment ends at 131072, past the message's 100000 bytes"),
                new Row("a last fragment ending short", h -> {
                    fragment(h, 1, true, total, 0, FRAME);
                    fragment(h, 1, false, total, FRAME, FRAME);
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment ends at 131072, but the message ends at the message's 200000 bytes"),
                new Row("CONTROL in the middle of a fragmented message", h -> {
                    fragment(h, 1, true, total, 0, FRAME);
                    h.peer.send(PacketType.CONTROL, 1, new byte[] {1});
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "CONTROL on channel 1 in the middle of a fragmented message"),
                new Row("a first fragment holding the whole message but flagged FRAGMENTED", h -> fragment(h, 1, true, 100, 0, 100),
                        ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: first fragment holds all 100 bytes of its message but says more follow"),
                new Row("a fragment shorter than its header", h -> h.peer.send(PacketType.DATA, 1, Flags.FRAGMENTED, new byte[7]),
                        ErrorCode.FRAGMENT_OUT_OF_ORDER, "a fragment of 7 bytes is shorter than its 8-byte header"),
                new Row("an unflagged last fragment without a header in the middle of a message", h -> {
                    fragment(h, 1, true, total, 0, FRAME);
                    h.peer.send(PacketType.DATA, 1, 0, new byte[3]);
                }, ErrorCode.FRAGMENT_OUT_OF_ORDER, "a fragment of 3 bytes is shorter than its 8-byte header"),
                new Row("a total over maxMessageSize", h -> fragment(h, 1, true, MAX_MESSAGE + 1, 0, FRAME),
                        ErrorCode.MESSAGE_TOO_LARGE, "channel 1: a 262145-byte message exceeds the limit of 262144 bytes"),
                new Row("a total of 2^32-1", h -> fragment(h, 1, true, 0xFFFF_FFFFL, 0, FRAME),
                        ErrorCode.MESSAGE_TOO_LARGE, "channel 1: a 4294967295-byte message exceeds the limit of 262144 bytes"),
                new Row("messages in progress over maxReassemblyBytes across channels", h -> {
                    h.peerOpens(3);
                    // Buffers grow with what arrives: 128 KiB each after two fragments, 256 KiB in all.
                    for (int ch : new int[] {1, 3}) {
                        fragment(h, ch, true, MAX_MESSAGE, 0, FRAME);
                        fragment(h, ch, true, MAX_MESSAGE, FRAME, FRAME);
                    }
                    fragment(h, 1, true, MAX_MESSAGE, 2 * FRAME, FRAME); // ch 1's buffer doubles to 256 KiB: 384 in all
                }, ErrorCode.MESSAGE_TOO_LARGE,
                        "channel 1: fragmented messages in progress hold 393216 bytes, over this stream's reassembly limit of 327680"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("violations")
    void theStreamEndsWithTheRightError(Row row) {
        StreamHarness h = StreamHarness.activeAcceptor(config());
        h.service.pullMode();
        h.peerOpens(1);
        row.peer().accept(h);
        Frame error = h.peer.expectStreamError(row.code());
        assertEquals(row.reason(), error.reason().reason());
        assertEquals(StreamState.CLOSED, h.stream.state());
        assertEquals(1, h.counters.errorsSent(row.code()));
        assertTrue(h.transport.closed());
        assertTrue(h.lifecycle.get(h.lifecycle.size() - 1).startsWith("closed " + row.code()), h.lifecycle::toString);
        assertEquals(0, h.stream.heldBytes(), "the ended stream holds nothing");
    }

    // ---------------------------------------------------------------- reassembly timeout

    @Test
    void aFragmentedMessageThatStopsTimesOut() {
        StreamHarness h = StreamHarness.activeAcceptor(config());
        h.peerOpens(1);
        fragment(h, 1, true, 200_000, 0, FRAME);
        // The peer stays alive (pings) but sends no fragment: 2 s later the stream ends.
        for (int ms = 0; ms < 1500; ms += 250) {
            h.advanceMillis(250);
            h.peer.ping(ms);
        }
        fragment(h, 1, true, 200_000, FRAME, FRAME); // a fragment restarts the clock
        for (int ms = 0; ms < 1750; ms += 250) {
            h.advanceMillis(250);
            h.peer.ping(ms);
        }
        assertEquals(StreamState.ACTIVE, h.stream.state(), "1.75 s since the last fragment: within 2 s");
        for (int ms = 0; ms < 750 && h.stream.state() == StreamState.ACTIVE; ms += 250) {
            h.advanceMillis(250);
            h.peer.ping(ms);
        }
        Frame error = h.peer.expectStreamError(ErrorCode.REASSEMBLY_TIMEOUT);
        assertEquals("channel 1: no fragment of its 200000-byte message for 2000 ms (131072 bytes received)", error.reason().reason());
        assertEquals(1, h.counters.errorsSent(ErrorCode.REASSEMBLY_TIMEOUT));
    }

    @Test
    void aCompletedMessageLeavesNoTimeoutBehind() {
        StreamHarness h = StreamHarness.activeAcceptor(config());
        h.peerOpens(1);
        Fragments.send(h.peer, 1, new byte[100_000], FRAME);
        for (int ms = 0; ms < 5000; ms += 250) {
            h.advanceMillis(250);
            h.peer.ping(ms);
        }
        assertEquals(StreamState.ACTIVE, h.stream.state());
        assertEquals(1, h.service.events("in").size());
    }
}
