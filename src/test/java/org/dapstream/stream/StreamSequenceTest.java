package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

/** seq_id: per channel and direction, from 0, +1 per frame, wrapping at 2^32. */
class StreamSequenceTest extends EngineTest {

    @Test
    void eachChannelAndDirectionCountsFromZero() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel one = h.peerOpens(1);
        Channel three = h.peerOpens(3);
        // The peer's ch 0 frames were HELLO (0), OPEN 1 (1), OPEN 3 (2); ours WELCOME (0), ACK (1), ACK (2).
        h.peer.raw(PacketType.DATA, 0, 1, 0, new byte[] {'a'});
        h.peer.raw(PacketType.DATA, 0, 3, 0, new byte[] {'b'});
        h.peer.raw(PacketType.DATA, 1, 1, 0, new byte[] {'c'});
        h.peer.raw(PacketType.DATA, 1, 3, 0, new byte[] {'d'});
        h.peer.raw(PacketType.DATA, 2, 1, 0, new byte[] {'e'});
        assertEquals(List.of("in 1 DATA a", "in 3 DATA b", "in 1 DATA c", "in 3 DATA d", "in 1 DATA e"), h.service.events("in"));
        assertEquals(3, one.receiveSeq());
        assertEquals(2, three.receiveSeq());

        one.write(PacketType.DATA, new byte[] {1});
        one.write(PacketType.CONTROL, new byte[] {2});
        three.write(PacketType.DATA, new byte[] {3});
        one.write(PacketType.DATA, new byte[] {4});
        h.stream.openChannel(ChannelType.FILE, null); // a ch 0 frame in between
        List<Frame> sent = h.peer.frames();
        assertEquals(List.of("1:0", "1:1", "3:0", "1:2", "0:3"),
                sent.stream().map(f -> f.ch() + ":" + f.seq()).toList());
        assertEquals(3, one.sendSeq());
        assertEquals(1, three.sendSeq());
        assertEquals(3, one.receiveSeq(), "sending does not move the receive counter");
    }

    @Test
    void everyFrameTypeOnAChannelTakesASeq() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.write(PacketType.DATA, new byte[] {1});
        ch.close();
        List<Frame> f = h.peer.frames();
        assertEquals(List.of(PacketType.DATA, PacketType.CLOSE), f.stream().map(Frame::type).toList());
        assertEquals(List.of(0, 1), f.stream().map(Frame::seq).toList());
        h.peer.data(1, "x");
        h.peer.close(1, ErrorCode.NORMAL, "");
        assertEquals(2, ch.receiveSeq());
        h.peer.expectNothing();
    }

    static Stream<Arguments> badSequences() {
        //                      name            seqs the peer sends on ch 1     message of the ERROR
        return Stream.of(
                Arguments.of("first not 0", new int[] {1}, "channel 1: expected seq 0, got 1"),
                Arguments.of("gap", new int[] {0, 2}, "channel 1: expected seq 1, got 2"),
                Arguments.of("repeat", new int[] {0, 1, 1}, "channel 1: expected seq 2, got 1"),
                Arguments.of("step back", new int[] {0, 1, 2, 1}, "channel 1: expected seq 3, got 1"),
                Arguments.of("back to 0", new int[] {0, 1, 0}, "channel 1: expected seq 2, got 0"),
                Arguments.of("far ahead", new int[] {0, 0xFFFFFFFF}, "channel 1: expected seq 1, got 4294967295"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSequences")
    void aBrokenSequenceIsBadSequence(String name, int[] seqs, String message) {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        for (int seq : seqs) {
            h.peer.raw(PacketType.DATA, seq, 1, 0, new byte[] {(byte) seq});
        }
        assertEquals(message, h.peer.expectStreamError(ErrorCode.BAD_SEQUENCE).reason().reason());
        assertEquals(seqs.length - 1, h.service.events("in").size(), "frames before the bad one were delivered");
        assertEquals(1, h.counters.errorsSent(ErrorCode.BAD_SEQUENCE));
    }

    @Test
    void aBrokenSequenceOnChannelZeroIsBadSequence() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.raw(PacketType.CONTROL, 1, 0, 0, ControlCodec.encode(new ControlMessage.Hello(1, 0, Peer.NODE)));
        assertEquals("channel 0: expected seq 0, got 1",
                h.peer.expectStreamError(ErrorCode.BAD_SEQUENCE).reason().reason());
        assertEquals(0, h.sessions.size(), "the HELLO was not acted on");
    }

    @Test
    void channelZeroRepeatIsBadSequence() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.raw(PacketType.KEEPALIVE, 0, 0, 0, new org.dapstream.protocol.KeepAlivePayload(false, 5).encode());
        assertEquals("channel 0: expected seq 1, got 0",
                h.peer.expectStreamError(ErrorCode.BAD_SEQUENCE).reason().reason());
    }

    @Test
    void sequencesOfOneChannelDoNotLeakIntoAnother() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peerOpens(3);
        h.peer.data(1, "a");
        h.peer.data(1, "b");
        h.peer.raw(PacketType.DATA, 2, 3, 0, new byte[] {'x'}); // ch 3 is at 0, whatever ch 1 is at
        assertEquals("channel 3: expected seq 0, got 2",
                h.peer.expectStreamError(ErrorCode.BAD_SEQUENCE).reason().reason());
    }

    @Test
    void inboundSeqWrapsFromFFFFFFFFToZero() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.seqIn = 0xFFFFFFFE; // 2^32 - 2 frames later
        h.peer.raw(PacketType.DATA, 0xFFFFFFFE, 1, 0, new byte[] {'a'});
        h.peer.raw(PacketType.DATA, 0xFFFFFFFF, 1, 0, new byte[] {'b'});
        h.peer.raw(PacketType.DATA, 0, 1, 0, new byte[] {'c'});
        h.peer.raw(PacketType.DATA, 1, 1, 0, new byte[] {'d'});
        assertEquals(List.of("in 1 DATA a", "in 1 DATA b", "in 1 DATA c", "in 1 DATA d"), h.service.events("in"));
        assertEquals(2, ch.receiveSeq());
        assertTrue(h.stream.active());
        h.peer.expectNothing();
    }

    @Test
    void aStepBackAcrossTheWrapIsStillBadSequence() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.seqIn = 0xFFFFFFFF;
        h.peer.raw(PacketType.DATA, 0xFFFFFFFF, 1, 0, new byte[] {'a'});
        h.peer.raw(PacketType.DATA, 0xFFFFFFFF, 1, 0, new byte[] {'b'});
        assertEquals("channel 1: expected seq 0, got 4294967295",
                h.peer.expectStreamError(ErrorCode.BAD_SEQUENCE).reason().reason());
    }

    @Test
    void outboundSeqWrapsFromFFFFFFFFToZero() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        ch.seqOut = 0xFFFFFFFF;
        ch.write(PacketType.DATA, new byte[] {1});
        ch.write(PacketType.DATA, new byte[] {2});
        List<Frame> f = h.peer.frames();
        assertEquals(List.of(0xFFFFFFFF, 0), f.stream().map(Frame::seq).toList());
        assertEquals(1, ch.sendSeq());
    }
}
