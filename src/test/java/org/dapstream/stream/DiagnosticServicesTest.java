package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The built-in echo and discard services, driven through a stream by a scripted peer. */
class DiagnosticServicesTest extends EngineTest {

    private static StreamHarness withDiagnostics() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.services.register(new EchoService()).register(new DiscardService());
        return h;
    }

    @Test
    void echoSendsEveryPacketBackWithItsType() {
        StreamHarness h = withDiagnostics();
        h.peer.open(1, ChannelType.ECHO);
        h.peer.only(PacketType.CONTROL, 0);
        h.peer.data(1, "one");
        h.peer.send(PacketType.CONTROL, 1, "two".getBytes(StandardCharsets.UTF_8));
        List<Frame> f = h.peer.frames();
        assertEquals(List.of("DATA one 0", "CONTROL two 1"), f.stream().map(x -> x.type() + " " + x.text() + " " + x.seq()).toList());
    }

    @Test
    void echoPausesItsOwnChannelWhileItsWritesBackUpAndResumesWhenWritable() {
        StreamHarness h = withDiagnostics();
        h.peer.open(1, ChannelType.ECHO);
        h.peer.open(3, ChannelType.ECHO);
        h.peer.frames();
        h.transport.writeQueueFull = true;
        h.peer.data(1, "a");
        assertFalse(h.transport.paused(), "the socket keeps reading: other channels are not held up");
        Channel one = channel(h, 1);
        assertTrue(one.paused(), "its own channel is paused");
        assertEquals(1, h.peer.frames().size(), "the echo itself was accepted");
        h.peer.data(1, "b");
        h.peer.expectNothing(); // held uncredited while paused
        h.transport.writeQueueFull = false;
        h.stream.onWritable();
        h.transport.runPending();
        assertFalse(one.paused());
        List<Frame> echoed = h.peer.frames();
        assertEquals(1, echoed.size());
        assertArrayEquals("b".getBytes(java.nio.charset.StandardCharsets.UTF_8), echoed.get(0).payload());
        h.peer.data(3, "c");
        assertEquals(1, h.peer.frames().size(), "the other channel echoes");
    }

    @Test
    void echoPausedChannelThatClosesLeavesTheOthersWorking() {
        StreamHarness h = withDiagnostics();
        h.peer.open(1, ChannelType.ECHO);
        h.peer.open(3, ChannelType.ECHO);
        h.peer.frames();
        h.transport.writeQueueFull = true;
        h.peer.data(1, "a");
        assertTrue(channel(h, 1).paused());
        h.peer.close(1, ErrorCode.NORMAL, "");
        h.transport.writeQueueFull = false;
        h.peer.frames();
        h.peer.data(3, "c");
        assertEquals(1, h.peer.frames().size(), "the stream still reads and echoes on channel 3");
        assertFalse(h.transport.paused());
    }

    private static Channel channel(StreamHarness h, int id) {
        return h.stream.channels().stream().filter(c -> c.id() == id).findFirst().orElseThrow();
    }

    @Test
    void discardReportsWhatItSwallowed() {
        StreamHarness h = withDiagnostics();
        h.peer.open(1, ChannelType.DISCARD);
        h.peer.frames();
        h.peer.data(1, new byte[10]);
        h.peer.data(1, new byte[0]);
        h.peer.data(1, new byte[65536]);
        h.peer.expectNothing();
        h.peer.send(PacketType.CONTROL, 1, new byte[0]);
        Frame report = h.peer.only(PacketType.CONTROL, 1);
        assertEquals(DiscardService.REPORT_SIZE, report.payload().length);
        assertArrayEquals(new long[] {3, 65546}, DiscardService.readReport(ByteBuffer.wrap(report.payload())));
        assertEquals("0300000000000000" + "0a00010000000000", java.util.HexFormat.of().formatHex(report.payload()),
                "u64 LE packets, u64 LE bytes");
    }

    @Test
    void aDiscardReportOfTheWrongSizeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DiscardService.readReport(ByteBuffer.allocate(15)));
    }
}
