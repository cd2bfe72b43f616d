package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Protocol version 1 negotiates no flag: every defined flag is refused, reserved bits even earlier. */
class StreamFlagsTest extends EngineTest {

    @ParameterizedTest(name = "flags 0x0{0}")
    @ValueSource(ints = {Flags.COMPRESSED, Flags.ENCRYPTED, Flags.FRAGMENTED, 0x03, 0x05, 0x06, 0x07})
    void anyFlagOnAChannelIsFlagNotNegotiated(int flags) {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.send(PacketType.DATA, 1, flags, new byte[] {1, 2, 3});
        Frame error = h.peer.expectStreamError(ErrorCode.FLAG_NOT_NEGOTIATED);
        assertEquals(String.format("flags 0x%02x on channel 1; compression, encryption and fragmentation were not negotiated", flags),
                error.reason().reason());
        assertEquals(List.of(), h.service.events("in"), "the payload was not delivered");
        assertEquals(1, h.counters.errorsSent(ErrorCode.FLAG_NOT_NEGOTIATED));
    }

    @ParameterizedTest(name = "flags 0x0{0}")
    @ValueSource(ints = {Flags.COMPRESSED, Flags.ENCRYPTED, Flags.FRAGMENTED})
    void anyFlagOnChannelZeroIsFlagNotNegotiated(int flags) {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.send(PacketType.KEEPALIVE, 0, flags, new KeepAlivePayload(false, 1).encode());
        assertEquals(String.format("flags 0x%02x on channel 0; compression, encryption and fragmentation were not negotiated", flags),
                h.peer.expectStreamError(ErrorCode.FLAG_NOT_NEGOTIATED).reason().reason());
    }

    @Test
    void aFlaggedHelloIsRefusedBeforeItIsActedOn() {
        StreamHarness h = StreamHarness.acceptor();
        h.peer.send(PacketType.CONTROL, 0, Flags.ENCRYPTED,
                org.dapstream.protocol.ControlCodec.encode(new org.dapstream.protocol.ControlMessage.Hello(1, 0, Peer.NODE)));
        h.peer.expectStreamError(ErrorCode.FLAG_NOT_NEGOTIATED);
        assertEquals(0, h.sessions.size());
    }

    @Test
    void flagsOnCloseAndErrorFramesAreRefusedToo() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peer.send(PacketType.CLOSE, 1, Flags.COMPRESSED, org.dapstream.protocol.CloseReason.of(ErrorCode.NORMAL, "").encode());
        h.peer.expectStreamError(ErrorCode.FLAG_NOT_NEGOTIATED);
    }

    @Test
    void reservedBitsAreRefusedByTheDecoder() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        // FrameHeader refuses to write reserved bits, so set the byte by hand.
        byte[] frame = org.dapstream.protocol.FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[] {1});
        frame[org.dapstream.protocol.FrameHeader.OFFSET_FLAGS] = 0x08;
        h.peer.feed(frame);
        assertEquals("reserved flag bits set in 0x08", h.peer.expectStreamError(ErrorCode.RESERVED_FLAGS).reason().reason());
    }
}
