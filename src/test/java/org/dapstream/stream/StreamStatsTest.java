package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** dap_stream_get_stats: stream counters are wire frames and bytes, channel counters payload bytes. */
class StreamStatsTest extends EngineTest {

    @Test
    void aFreshStreamCountsNothing() {
        StreamHarness h = StreamHarness.acceptor();
        StreamStats s = h.stream.stats();
        assertEquals(new StreamStats(0, 0, 0, 0, 0, Double.NaN), s);
    }

    @Test
    void streamAndChannelCountersMatchTheFramesExchanged() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.hello();
        h.peer.next(); // WELCOME
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        Channel two = h.openLocally(ChannelType.FILE, null);
        h.peer.data(1, "alpha");
        h.peer.data(1, new byte[1000]);
        h.peer.data(3, "b");
        h.peer.send(PacketType.CONTROL, 1, "ctl".getBytes(StandardCharsets.UTF_8));
        h.peer.data(2, "to a channel we opened");
        one.write(PacketType.DATA, new byte[77]);
        three.write(PacketType.DATA, "three".getBytes(StandardCharsets.UTF_8));
        two.write(PacketType.CONTROL, new byte[5]);
        h.peer.ping(1);
        h.peer.close(3, ErrorCode.NORMAL, "done with three");

        List<Frame> sent = h.peer.history();
        StreamStats s = h.stream.stats();
        assertEquals(sent.size(), s.packetsSent());
        assertEquals(sent.stream().mapToLong(Frame::wireSize).sum(), s.bytesSent(), "headers included");
        assertEquals(h.peer.framesFed(), s.packetsReceived());
        assertEquals(h.peer.bytesFed(), s.bytesReceived(), "headers included");
        assertEquals(2, s.activeChannels(), "1 and 2 are open; 3 closed");

        // 1: in "alpha" (5), 1000 zeros, "ctl" (3); out 77 bytes.
        assertEquals(new ChannelStats(1, 3, 77, 1008), one.stats());
        // 2: in 22 bytes; out a 5-byte CONTROL.
        assertEquals(new ChannelStats(1, 1, 5, 22), two.stats());
        // 3: in "b" and the CLOSE (2 + 15 bytes); out "three" and the answering CLOSE (2 bytes).
        assertEquals(new ChannelStats(2, 2, 5 + 2, 1 + 17), three.stats());
        for (Channel c : List.of(one, two, three)) {
            List<Frame> onIt = sent.stream().filter(f -> f.ch() == c.id()).toList();
            assertEquals(onIt.size(), c.stats().packetsSent(), "packets sent on " + c.id());
            assertEquals(onIt.stream().mapToLong(f -> f.payload().length).sum(), c.stats().bytesSent(), "payload bytes sent on " + c.id());
        }
    }

    @Test
    void streamBytesAreHeaderPlusPayload() {
        StreamHarness h = StreamHarness.activeAcceptor();
        StreamStats before = h.stream.stats();
        Channel ch = h.peerOpens(1);
        StreamStats afterOpen = h.stream.stats();
        assertEquals(before.packetsReceived() + 1, afterOpen.packetsReceived());
        assertEquals(before.bytesReceived() + FrameHeader.SIZE + 5, afterOpen.bytesReceived(), "OPEN_CHANNEL is 5 bytes");
        assertEquals(before.bytesSent() + FrameHeader.SIZE + 3, afterOpen.bytesSent(), "OPEN_ACK is 3 bytes");
        ch.write(PacketType.DATA, new byte[100]);
        assertEquals(afterOpen.bytesSent() + 112, h.stream.stats().bytesSent());
        assertEquals(afterOpen.packetsSent() + 1, h.stream.stats().packetsSent());
    }

    @Test
    void activeChannelsFollowsOpensAndCloses() {
        StreamHarness h = StreamHarness.activeAcceptor();
        assertEquals(0, h.stream.stats().activeChannels());
        h.peerOpens(1);
        h.peerOpens(3);
        h.peerOpens(5);
        assertEquals(3, h.stream.stats().activeChannels());
        h.peer.close(3, ErrorCode.NORMAL, "");
        assertEquals(2, h.stream.stats().activeChannels());
        h.peer.error(0, ErrorCode.GOING_AWAY, "");
        assertEquals(0, h.stream.stats().activeChannels());
    }

    @Test
    void statsOfAClosedStreamStayReadable() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1).write(PacketType.DATA, new byte[10]);
        h.peer.error(0, ErrorCode.GOING_AWAY, "bye");
        StreamStats s = h.stream.stats();
        assertEquals(h.peer.framesFed(), s.packetsReceived());
        assertEquals(h.peer.history().size(), s.packetsSent());
        assertTrue(s.bytesSent() > 0);
    }
}
