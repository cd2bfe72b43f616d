package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * {@link Reassembler} driven directly with fragment payloads built from the wire rules
 * ({@link Fragments#payload}), on a channel of a real stream: what it delivers, what it
 * refuses and with which code, its budget across channels and its timeout.
 */
class ReassemblerTest extends EngineTest {
    private static final int KIB = 1024;

    /** Hands one fragment to the stream's reassembler, as the frame reader does. */
    private static void fragment(StreamHarness h, Channel ch, boolean more, long total, long offset, byte[] data)
            throws ProtocolException {
        h.stream.reassembler.receive(ch, PacketType.DATA, more, ByteBuffer.wrap(Fragments.payload(total, offset, data)));
    }

    private static void fragment(StreamHarness h, Channel ch, boolean more, long total, long offset, int length)
            throws ProtocolException {
        fragment(h, ch, more, total, offset, new byte[length]);
    }

    private static ProtocolException refused(ErrorCode code, String message, Executable fragment) {
        ProtocolException e = assertThrows(ProtocolException.class, fragment);
        assertEquals(code, e.code(), e::toString);
        assertEquals(message, e.getMessage());
        return e;
    }

    private static StreamHarness withLimits(int maxMessage, int maxReassembly, Duration timeout) {
        return StreamHarness.activeAcceptor(StreamHarness.defaults().withFlow(
                FlowConfig.defaults().withMessageLimits(maxMessage, maxReassembly, timeout)));
    }

    // ---------------------------------------------------------------- delivery

    @Test
    void aThreeFragmentMessageIsDeliveredWholeOnceAndInOrder() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        byte[] message = Fragments.random(150_000, 17);
        fragment(h, ch, true, message.length, 0, Arrays.copyOfRange(message, 0, 60_000));
        fragment(h, ch, true, message.length, 60_000, Arrays.copyOfRange(message, 60_000, 120_000));
        assertEquals(List.of(), h.service.payloads, "nothing is delivered before the last fragment");
        assertTrue(h.stream.reassembler.heldBytes() >= 120_000);
        fragment(h, ch, false, message.length, 120_000, Arrays.copyOfRange(message, 120_000, message.length));

        assertEquals(1, h.service.payloads.size());
        assertArrayEquals(message, h.service.payloads.get(0));
        assertNull(ch.reassembly);
        assertEquals(0, h.stream.reassembler.heldBytes());
        assertEquals(FlowWindow.INITIAL_CHANNEL_WINDOW - 150_000, ch.receive.credit,
                "the peer's credit counts the message's bytes, not the fragment headers");
        assertEquals(150_000, ch.stats().bytesReceived());

        // The next message on the channel starts afresh.
        fragment(h, ch, true, 20_000, 0, 10_000);
        fragment(h, ch, false, 20_000, 10_000, 10_000);
        assertEquals(2, h.service.payloads.size());
        assertEquals(20_000, h.service.payloads.get(1).length);
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void aFragmentAtTheWrongOffsetIsOutOfOrder() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        fragment(h, ch, true, 3000, 0, 1000);
        refused(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment at offset 1500 of a 3000-byte message; expected offset 1000 of 3000",
                () -> fragment(h, ch, true, 3000, 1500, 1000));
        refused(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment at offset 1000 of a 4000-byte message; expected offset 1000 of 3000",
                () -> fragment(h, ch, true, 4000, 1000, 1000));
        assertEquals(List.of(), h.service.payloads);
    }

    @Test
    void aFirstFragmentNotAtOffsetZeroIsAnUnknownFragment() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        refused(ErrorCode.UNKNOWN_FRAGMENT, "channel 1: fragment at offset 1000 of a 3000-byte message that was never started",
                () -> fragment(h, ch, true, 3000, 1000, 1000));
        assertNull(ch.reassembly);
        assertEquals(0, h.stream.reassembler.heldBytes());
    }

    @Test
    void aMessageOverTheMaximumSizeIsRefusedAtItsFirstFragment() throws ProtocolException {
        StreamHarness h = withLimits(128 * KIB, 1024 * KIB, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT);
        Channel ch = h.peerOpens(1);
        refused(ErrorCode.MESSAGE_TOO_LARGE, "channel 1: a 131073-byte message exceeds the limit of 131072 bytes",
                () -> fragment(h, ch, true, 128 * KIB + 1, 0, 1000));
        assertEquals(0, h.stream.reassembler.heldBytes(), "nothing is held for a refused message");
        fragment(h, ch, true, 128 * KIB, 0, 1000);
        assertNotNull(ch.reassembly, "exactly the maximum is accepted");
    }

    @Test
    void aNonDataPacketInTheMiddleOfAMessageIsOutOfOrder() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        fragment(h, ch, true, 3000, 0, 1000);
        refused(ErrorCode.FRAGMENT_OUT_OF_ORDER, "CONTROL on channel 1 in the middle of a fragmented message",
                () -> h.stream.reassembler.receive(ch, PacketType.CONTROL, false, ByteBuffer.wrap(new byte[10])));
    }

    @Test
    void aLastFragmentThatEndsShortOfTheTotalIsOutOfOrder() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        fragment(h, ch, true, 3000, 0, 1000);
        ProtocolException e = assertThrows(ProtocolException.class, () -> fragment(h, ch, false, 3000, 1000, 1000));
        assertEquals(ErrorCode.FRAGMENT_OUT_OF_ORDER, e.code());
        assertTrue(e.getMessage().startsWith("channel 1: fragment ends at 2000, but the message ends at"), e.getMessage());
        assertTrue(e.getMessage().contains("3000"), e.getMessage());
        assertEquals(List.of(), h.service.payloads, "a short message is never delivered");
    }

    @Test
    void aFragmentThatEndsPastTheTotalIsOutOfOrder() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        fragment(h, ch, true, 3000, 0, 1000);
        refused(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: fragment ends at 3500, past the message's 3000 bytes",
                () -> fragment(h, ch, true, 3000, 1000, 2500));
    }

    @Test
    void aFirstFragmentHoldingTheWholeMessageYetSayingMoreFollowIsOutOfOrder() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        refused(ErrorCode.FRAGMENT_OUT_OF_ORDER, "channel 1: first fragment holds all 1000 bytes of its message but says more follow",
                () -> fragment(h, ch, true, 1000, 0, 1000));
    }

    // ---------------------------------------------------------------- budget

    @Test
    void theReassemblyBudgetCoversAllChannelsOfTheStream() throws ProtocolException {
        int limit = 128 * KIB;
        StreamHarness h = withLimits(limit, limit, FlowConfig.DEFAULT_REASSEMBLY_TIMEOUT);
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        // One message of the whole budget completes.
        fragment(h, one, true, limit, 0, 64 * KIB);
        fragment(h, one, false, limit, 64 * KIB, 64 * KIB);
        assertEquals(1, h.service.payloads.size());
        assertEquals(0, h.stream.reassembler.heldBytes());

        // Two at once: each buffer starts at one fragment (64 KiB), together the whole budget...
        fragment(h, one, true, limit, 0, 64 * KIB);
        fragment(h, three, true, limit, 0, 64 * KIB);
        assertEquals(limit, h.stream.reassembler.heldBytes());
        assertEquals(limit, h.stream.heldBytes());
        // ...and channel 1's buffer growing to its message's 128 KiB would pass it.
        refused(ErrorCode.MESSAGE_TOO_LARGE,
                "channel 1: fragmented messages in progress hold 196608 bytes, over this stream's reassembly limit of 131072",
                () -> fragment(h, one, true, limit, 64 * KIB, 1));
        assertEquals(1, h.service.payloads.size());
    }

    @Test
    void heldBytesGoBackToZeroWhenAMessageIsReleased() throws ProtocolException {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        fragment(h, one, true, 1_000_000, 0, 64 * KIB);
        fragment(h, three, true, 3000, 0, 1000);
        assertEquals(64 * KIB + 3000, h.stream.reassembler.heldBytes(), "a buffer starts at one fragment, or the message if smaller");

        h.stream.reassembler.release(one);
        assertNull(one.reassembly);
        assertEquals(3000, h.stream.reassembler.heldBytes());
        h.stream.reassembler.release(one);
        assertEquals(3000, h.stream.reassembler.heldBytes(), "releasing twice frees once");
        h.stream.reassembler.release(three);
        assertEquals(0, h.stream.reassembler.heldBytes());

        refused(ErrorCode.UNKNOWN_FRAGMENT, "channel 1: fragment at offset 65536 of a 1000000-byte message that was never started",
                () -> fragment(h, one, true, 1_000_000, 64 * KIB, 1000));
    }

    // ---------------------------------------------------------------- timeout

    @Test
    void aMessageTimesOutOnlyAfterTheConfiguredTimeWithoutAFragment() throws ProtocolException {
        StreamHarness h = withLimits(FlowConfig.DEFAULT_MAX_MESSAGE_SIZE, FlowConfig.DEFAULT_MAX_REASSEMBLY_BYTES, Duration.ofSeconds(2));
        Channel one = h.peerOpens(1);
        h.peerOpens(3);
        Reassembler reassembler = h.stream.reassembler;
        assertNull(reassembler.timedOut(h.stream.channels.all()), "nothing in progress");

        fragment(h, one, true, 3000, 0, 1000);
        // The clock moves without running the stream's timers: only timedOut() looks.
        h.clock.skip(Duration.ofMillis(1500));
        assertNull(reassembler.timedOut(h.stream.channels.all()));
        fragment(h, one, true, 3000, 1000, 1000); // a fragment starts the timeout again
        h.clock.skip(Duration.ofSeconds(2));
        assertNull(reassembler.timedOut(h.stream.channels.all()), "exactly the timeout is not past it");
        h.clock.skip(Duration.ofMillis(1));
        ProtocolException e = reassembler.timedOut(h.stream.channels.all());
        assertNotNull(e);
        assertEquals(ErrorCode.REASSEMBLY_TIMEOUT, e.code());
        assertEquals("channel 1: no fragment of its 3000-byte message for 2000 ms (2000 bytes received)", e.getMessage());

        reassembler.release(one);
        assertNull(reassembler.timedOut(h.stream.channels.all()), "a released message cannot time out");
    }
}
