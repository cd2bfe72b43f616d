package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

/**
 * Which transform flags a frame may carry: FRAGMENTED on DATA on channels, COMPRESSED on DATA and
 * CONTROL of channels opened with the compression option, ENCRYPTED after the handshake;
 * everything else is FLAG_NOT_NEGOTIATED, reserved bits even earlier (RESERVED_FLAGS).
 */
class StreamFlagsTest extends EngineTest {
    private static final String PLAINTEXT = "encryption was not negotiated (plaintext stream)";
    private static final String NOT_OFFERED = "compression was not negotiated when the channel opened";
    private static final String CHANNELS_ONLY = "compression and fragmentation apply to DATA and CONTROL packets on channels only";
    private static final String DATA_ONLY = "only DATA messages are fragmented";

    /**
     * One refused frame: the peer opens ch 1 with {@code options}, then sends {@code type} on
     * {@code ch} with {@code flags}; the stream must end with {@code code} and {@code reason}.
     */
    record Row(String name, int options, PacketType type, int ch, int flags, byte[] payload, ErrorCode code, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Row> refused() {
        byte[] small = {1, 2, 3};
        byte[] ping = new KeepAlivePayload(false, 1).encode();
        byte[] close = CloseReason.of(ErrorCode.NORMAL, "").encode();
        byte[] control = ControlCodec.encode(new ControlMessage.GoAway(0, "", ""));
        int c = Flags.COMPRESSED;
        int f = Flags.FRAGMENTED;
        int e = Flags.ENCRYPTED;
        return List.of(
                new Row("COMPRESSED on a channel opened without the option", 0, PacketType.DATA, 1, c, small,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on DATA channel 1; " + NOT_OFFERED),
                new Row("COMPRESSED on CONTROL of a channel opened without the option", 0, PacketType.CONTROL, 1, c, small,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on CONTROL channel 1; " + NOT_OFFERED),
                new Row("COMPRESSED|FRAGMENTED on a channel opened without the option", 0, PacketType.DATA, 1, c | f, new byte[12],
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x05 on DATA channel 1; " + NOT_OFFERED),
                new Row("ENCRYPTED on a plaintext stream", 0, PacketType.DATA, 1, e, small,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x02 on DATA channel 1; " + PLAINTEXT),
                new Row("ENCRYPTED|COMPRESSED on a plaintext stream", ControlMessage.OPTION_COMPRESSION, PacketType.DATA, 1, e | c, small,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x03 on DATA channel 1; " + PLAINTEXT),
                new Row("ENCRYPTED|FRAGMENTED on a plaintext stream", 0, PacketType.DATA, 1, e | f, new byte[12],
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x06 on DATA channel 1; " + PLAINTEXT),
                new Row("all three on a plaintext stream", ControlMessage.OPTION_COMPRESSION, PacketType.DATA, 1, e | c | f, new byte[12],
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x07 on DATA channel 1; " + PLAINTEXT),
                new Row("FRAGMENTED on CONTROL", 0, PacketType.CONTROL, 1, f, new byte[12],
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x04 on CONTROL channel 1; " + DATA_ONLY),
                new Row("FRAGMENTED on CONTROL of a compression channel", ControlMessage.OPTION_COMPRESSION, PacketType.CONTROL, 1, f, new byte[12],
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x04 on CONTROL channel 1; " + DATA_ONLY),
                new Row("FRAGMENTED on CLOSE", 0, PacketType.CLOSE, 1, f, close,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x04 on CLOSE channel 1; " + CHANNELS_ONLY),
                new Row("COMPRESSED on CLOSE of a compression channel", ControlMessage.OPTION_COMPRESSION, PacketType.CLOSE, 1, c, close,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on CLOSE channel 1; " + CHANNELS_ONLY),
                new Row("COMPRESSED on ERROR of a compression channel", ControlMessage.OPTION_COMPRESSION, PacketType.ERROR, 1, c, close,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on ERROR channel 1; " + CHANNELS_ONLY),
                new Row("FRAGMENTED on a ch 0 KEEPALIVE", 0, PacketType.KEEPALIVE, 0, f, ping,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x04 on KEEPALIVE ch 0; " + CHANNELS_ONLY),
                new Row("FRAGMENTED on a ch 0 CONTROL", 0, PacketType.CONTROL, 0, f, control,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x04 on CONTROL ch 0; " + CHANNELS_ONLY),
                new Row("COMPRESSED on a ch 0 KEEPALIVE", 0, PacketType.KEEPALIVE, 0, c, ping,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on KEEPALIVE ch 0; " + CHANNELS_ONLY),
                new Row("COMPRESSED on a ch 0 CONTROL", 0, PacketType.CONTROL, 0, c, control,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x01 on CONTROL ch 0; " + CHANNELS_ONLY),
                new Row("ENCRYPTED on a ch 0 KEEPALIVE", 0, PacketType.KEEPALIVE, 0, e, ping,
                        ErrorCode.FLAG_NOT_NEGOTIATED, "flags 0x02 on KEEPALIVE ch 0; " + PLAINTEXT),
                // FRAGMENTED on DATA is legal now: a payload too short for its header fails as a fragment.
                new Row("FRAGMENTED DATA shorter than the fragment header", 0, PacketType.DATA, 1, f, small,
                        ErrorCode.FRAGMENT_OUT_OF_ORDER, "a fragment of 3 bytes is shorter than its 8-byte header"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aFlagThatDoesNotApplyEndsTheStream(Row row) {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peer.open(1, StreamHarness.APP, row.options());
        h.peer.only(PacketType.CONTROL, 0); // OPEN_ACK
        h.peer.send(row.type(), row.ch(), row.flags(), row.payload());
        Frame error = h.peer.expectStreamError(row.code());
        assertEquals(row.reason(), error.reason().reason());
        assertEquals(List.of(), h.service.events("in"), "the payload was not delivered");
        assertEquals(1, h.counters.errorsSent(row.code()));
        assertEquals(StreamState.CLOSED, h.stream.state());
    }

    @Test
    void aFragmentedDataMessageIsAccepted() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        byte[] first = new byte[FragmentHeader.SIZE + 3];
        FragmentHeader.write(first, 0, 5, 0);
        first[8] = 'a';
        first[9] = 'b';
        first[10] = 'c';
        h.peer.send(PacketType.DATA, 1, Flags.FRAGMENTED, first);
        byte[] last = new byte[FragmentHeader.SIZE + 2];
        FragmentHeader.write(last, 0, 5, 3);
        last[8] = 'd';
        last[9] = 'e';
        h.peer.send(PacketType.DATA, 1, 0, last);
        assertEquals(List.of("in 1 DATA abcde"), h.service.events("in"));
        assertEquals(StreamState.ACTIVE, h.stream.state());
        h.peer.expectNothing();
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
