package org.dapstream.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed corpus of every fuzz target, built from the codec so it stays meaningful: valid
 * frames of each type and each CONTROL message, truncated and over-limit ones, and a few
 * cut into reads. Jazzer replays the files in every test run (regression mode) and starts
 * fuzzing from them. {@code FuzzSeedsTest} checks the committed files equal these bytes;
 * after changing a seed, rewrite them with (from the project root):
 *
 * <pre>
 * ./mvnw -B -ntp test-compile
 * java -cp target/test-classes:target/classes org.dapstream.protocol.FuzzSeeds src/test/resources
 * </pre>
 *
 * Files the fuzzer found (crash-*, ...) live in the same directories and are not touched.
 */
public final class FuzzSeeds {
    static final NodeAddress PEER = NodeAddress.parse("1234::5678::9ABC::DEF0");
    static final NodeAddress ACCEPTOR = NodeAddress.parse("0A0B::0C0D::0E0F::1011");
    /** A custom type the stream harness serves, and ECHO, which answers. */
    static final int APP_TYPE = 0x42;

    private FuzzSeeds() {
    }

    /** Directory of each target's inputs, relative to the test resources root, with its seeds by file name. */
    public static Map<String, Map<String, byte[]>> all() {
        Map<String, Map<String, byte[]>> all = new LinkedHashMap<>();
        all.put("org/dapstream/protocol/FrameDecoderFuzzTestInputs/frameDecoder", frameDecoder());
        all.put("org/dapstream/protocol/PayloadFuzzTestInputs/controlMessage", controlMessage());
        all.put("org/dapstream/protocol/PayloadFuzzTestInputs/closeReason", closeReason());
        all.put("org/dapstream/protocol/PayloadFuzzTestInputs/keepAlive", keepAlive());
        all.put("org/dapstream/protocol/PayloadFuzzTestInputs/nodeAddress", nodeAddress());
        all.put("org/dapstream/stream/StreamFuzzTestInputs/activeAcceptor", activeAcceptor());
        all.put("org/dapstream/stream/StreamFuzzTestInputs/setupAcceptor", setupAcceptor());
        all.put("org/dapstream/stream/StreamFuzzTestInputs/setupConnector", setupConnector());
        return all;
    }

    static Map<String, byte[]> frameDecoder() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        byte[] data = FrameHeader.frame(PacketType.DATA, 7, 1, 0, ascii("hello"));
        byte[] eachType = concat(
                data,
                FrameHeader.frame(PacketType.CONTROL, 0, 0, 0, ControlCodec.encode(new ControlMessage.Hello(1, 0, PEER))),
                FrameHeader.frame(PacketType.KEEPALIVE, 1, 0, 0, new KeepAlivePayload(false, 0x0102030405060708L).encode()),
                FrameHeader.frame(PacketType.CLOSE, 1, 1, 0, CloseReason.of(ErrorCode.NORMAL, "bye").encode()),
                FrameHeader.frame(PacketType.ERROR, 2, 0, 0, CloseReason.of(ErrorCode.BAD_SEQUENCE, "seq").encode()));
        s.put("data", SplitInput.encode(0, data));
        s.put("each-type", SplitInput.encode(0, eachType));
        s.put("each-type-cut-in-headers", SplitInput.encode(0, eachType, 1, 5, 11, 12, 20, 30, 40));
        s.put("each-type-cut-in-payloads", SplitInput.encode(0, eachType, 14, 30, 33, 50, 70, 72));
        s.put("each-type-sink-moves-copied-reads", SplitInput.encode(0b1100, eachType, 3, 17, 18, 60));
        s.put("empty-payload", SplitInput.encode(0, FrameHeader.frame(PacketType.DATA, 0, 3, 0, new byte[0])));
        s.put("empty-payload-cut", SplitInput.encode(0, concat(FrameHeader.frame(PacketType.DATA, 0, 3, 0, new byte[0]), data), 6, 12));
        s.put("all-defined-flags", SplitInput.encode(0, FrameHeader.frame(PacketType.DATA, -1, 0xFFFF, Flags.DEFINED, ascii("x"))));
        s.put("truncated-header", SplitInput.encode(0, java.util.Arrays.copyOf(data, 7)));
        s.put("truncated-payload", SplitInput.encode(0, java.util.Arrays.copyOf(data, 14), 12));
        s.put("over-small-limit", SplitInput.encode(2, FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[14])));
        s.put("at-small-limit", SplitInput.encode(2, FrameHeader.frame(PacketType.DATA, 0, 1, 0, new byte[13]), 5));
        s.put("zero-limit", SplitInput.encode(1, concat(FrameHeader.frame(PacketType.KEEPALIVE, 0, 0, 0, new byte[0]), data)));
        s.put("size-u32-max", SplitInput.encode(0, header(0xFFFF_FFFFL, 1, 0, 0)));
        s.put("size-2-pow-31", SplitInput.encode(0, header(0x8000_0000L, 1, 0, 0)));
        s.put("unknown-type", SplitInput.encode(0, concat(data, header(0, 6, 0, 0))));
        s.put("type-zero", SplitInput.encode(0, header(0, 0, 0, 0)));
        s.put("reserved-flag", SplitInput.encode(0, concat(data, header(0, 1, 0, 0x08)), 20));
        byte[] big = new byte[5000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        // Gathered across reads, past the decoder's first 4 KiB buffer, then one more frame in place.
        s.put("gathered-5000", SplitInput.encode(0, concat(FrameHeader.frame(PacketType.DATA, 0, 1, 0, big), data), 100, 4000, 5012));
        s.put("gathered-over-4096-limit", SplitInput.encode(3, FrameHeader.frame(PacketType.DATA, 0, 1, 0, big), 100));
        return s;
    }

    static Map<String, byte[]> controlMessage() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("hello", ControlCodec.encode(new ControlMessage.Hello(1, 0, PEER)));
        s.put("welcome", ControlCodec.encode(new ControlMessage.Welcome(1, 0, ACCEPTOR, 0x5E551011, 3000)));
        s.put("open-channel", ControlCodec.encode(new ControlMessage.OpenChannel(1, new ChannelType(APP_TYPE), 0)));
        s.put("open-ack", ControlCodec.encode(new ControlMessage.OpenAck(2)));
        s.put("open-reject", ControlCodec.encode(new ControlMessage.OpenReject(3, ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), "no handler")));
        s.put("open-reject-utf8", ControlCodec.encode(new ControlMessage.OpenReject(3, 0x1234, "d\u00e9j\u00e0 \u2713 \uD83D\uDE00")));
        s.put("open-reject-empty-reason", ControlCodec.encode(new ControlMessage.OpenReject(0xFFFF, 0, "")));
        s.put("open-reject-bad-utf8", concat(ControlCodec.encode(new ControlMessage.OpenReject(3, 0, "x")), new byte[] {(byte) 0xC3}));
        s.put("open-channel-id-0", new byte[] {ControlMessage.KIND_OPEN_CHANNEL, 0, 0, APP_TYPE, 0});
        s.put("empty", new byte[0]);
        s.put("unknown-kind", new byte[] {0x06, 1, 0});
        s.put("hello-truncated", java.util.Arrays.copyOf(ControlCodec.encode(new ControlMessage.Hello(1, 0, PEER)), 12));
        s.put("open-ack-trailing-byte", new byte[] {ControlMessage.KIND_OPEN_ACK, 2, 0, 0});
        return s;
    }

    static Map<String, byte[]> closeReason() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("normal", CloseReason.of(ErrorCode.NORMAL, "closed by application").encode());
        s.put("code-only", CloseReason.of(ErrorCode.BAD_SEQUENCE, "").encode());
        s.put("unknown-code", new CloseReason(0xABCD, "from a newer peer").encode());
        s.put("utf8", CloseReason.of(ErrorCode.GOING_AWAY, "\u00fcber \u2603").encode());
        s.put("max-reason", CloseReason.of(ErrorCode.NORMAL, "r".repeat(CloseReason.MAX_REASON_BYTES)).encode());
        s.put("over-max-reason", concat(CloseReason.of(ErrorCode.NORMAL, "r".repeat(CloseReason.MAX_REASON_BYTES)).encode(), ascii("r")));
        s.put("one-byte", new byte[] {1});
        s.put("bad-utf8", new byte[] {1, 0, (byte) 0xED, (byte) 0xA0, (byte) 0x80});
        return s;
    }

    static Map<String, byte[]> keepAlive() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("ping", new KeepAlivePayload(false, 0x0102030405060708L).encode());
        s.put("pong", new KeepAlivePayload(true, -1L).encode());
        s.put("kind-2", concat(new byte[] {2}, new byte[8]));
        s.put("short", new byte[] {0, 1, 2, 3, 4, 5, 6, 7});
        return s;
    }

    static Map<String, byte[]> nodeAddress() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("upper", utf8("0A0B::0C0D::0E0F::1011"));
        s.put("lower", utf8("1234::5678::9abc::def0"));
        s.put("none", utf8("0000::0000::0000::0000"));
        s.put("three-groups", utf8("0A0B::0C0D::0E0F"));
        s.put("single-colon", utf8("0A0B:0C0D::0E0F::1011"));
        s.put("sign", utf8("+A0B::0C0D::0E0F::1011"));
        s.put("fullwidth-digit", utf8("\uFF11234::5678::9ABC::DEF0"));
        s.put("empty", new byte[0]);
        return s;
    }

    static Map<String, byte[]> activeAcceptor() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        // The harness's peer sent HELLO as seq 0 on ch 0, so the script goes on from seq 1.
        Script open = new Script().seq(0, 1)
                .control(new ControlMessage.OpenChannel(1, new ChannelType(APP_TYPE), 0))
                .frame(PacketType.DATA, 1, ascii("hello"))
                .frame(PacketType.CONTROL, 1, ascii("app control"))
                .control(new ControlMessage.OpenChannel(3, new ChannelType(0xF0), 0))
                .frame(PacketType.DATA, 3, ascii("echo me"))
                .frame(PacketType.KEEPALIVE, 0, new KeepAlivePayload(false, 42).encode())
                .frame(PacketType.CLOSE, 1, CloseReason.of(ErrorCode.NORMAL, "done").encode());
        byte[] session = open.bytes();
        s.put("open-data-echo-close", SplitInput.encode(0, session));
        s.put("open-data-echo-close-cut", SplitInput.encode(0, session, 3, 12, 20, 40, 41, 60, 90));
        s.put("small-limits-three-channels", SplitInput.encode(1, new Script().seq(0, 1)
                .control(new ControlMessage.OpenChannel(1, new ChannelType(APP_TYPE), 0))
                .control(new ControlMessage.OpenChannel(3, new ChannelType(0xF0), 0))
                .control(new ControlMessage.OpenChannel(5, new ChannelType(0xF0), 0))
                .frame(PacketType.DATA, 3, new byte[1500]).bytes()));
        s.put("stream-close", SplitInput.encode(0, new Script().seq(0, 1)
                .frame(PacketType.CLOSE, 0, CloseReason.of(ErrorCode.NORMAL, "bye").encode()).bytes()));
        s.put("stream-error", SplitInput.encode(0, new Script().seq(0, 1)
                .frame(PacketType.ERROR, 0, CloseReason.of(ErrorCode.GOING_AWAY, "shutdown").encode()).bytes()));
        // Found by the fuzzer as a false alarm of the target (it took the peer's code for the engine's): kept, minimised.
        s.put("peer-sends-internal-error", SplitInput.encode(0, new Script().seq(0, 1)
                .frame(PacketType.ERROR, 0, CloseReason.of(ErrorCode.INTERNAL_ERROR, "").encode()).bytes()));
        s.put("bad-sequence", SplitInput.encode(0, new Script().seq(0, 5)
                .frame(PacketType.KEEPALIVE, 0, new KeepAlivePayload(false, 1).encode()).bytes()));
        s.put("data-on-unknown-channel", SplitInput.encode(0, new Script().frame(PacketType.DATA, 9, ascii("x")).bytes()));
        // A frame begun and then silence: the keepalive timeout and TRUNCATED_FRAME.
        s.put("silence-mid-frame", SplitInput.encode(0, java.util.Arrays.copyOf(session, 30), new int[] {20, 30}, new int[] {80, 0}));
        s.put("pings-with-pauses", SplitInput.encode(0, new Script().seq(0, 1)
                .frame(PacketType.KEEPALIVE, 0, new KeepAlivePayload(false, 1).encode())
                .frame(PacketType.KEEPALIVE, 0, new KeepAlivePayload(true, 2).encode()).bytes(),
                new int[] {21, 42}, new int[] {30, 70}));
        return s;
    }

    static Map<String, byte[]> setupAcceptor() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        byte[] hello = new Script().control(new ControlMessage.Hello(1, 0, PEER)).bytes();
        s.put("hello", SplitInput.encode(0, hello));
        s.put("hello-bytewise", SplitInput.encode(0, hello, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 24));
        s.put("hello-then-open", SplitInput.encode(0, new Script().control(new ControlMessage.Hello(1, 0, PEER))
                .control(new ControlMessage.OpenChannel(1, new ChannelType(0xF0), 0))
                .frame(PacketType.DATA, 1, ascii("ping")).bytes()));
        s.put("hello-version-2", SplitInput.encode(0, new Script().control(new ControlMessage.Hello(2, 0, PEER)).bytes()));
        s.put("hello-features", SplitInput.encode(0, new Script().control(new ControlMessage.Hello(1, 1, PEER)).bytes()));
        s.put("data-before-hello", SplitInput.encode(0, new Script().frame(PacketType.DATA, 1, ascii("early")).bytes()));
        s.put("welcome-to-acceptor", SplitInput.encode(0, new Script().control(
                new ControlMessage.Welcome(1, 0, PEER, 1, 3000)).bytes()));
        s.put("hello-after-setup-deadline", SplitInput.encode(0, hello, new int[] {0}, new int[] {120}));
        return s;
    }

    static Map<String, byte[]> setupConnector() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        byte[] welcome = new Script().control(new ControlMessage.Welcome(1, 0, ACCEPTOR, 0x5E551011, 3000)).bytes();
        s.put("welcome", SplitInput.encode(0, welcome));
        s.put("welcome-cut", SplitInput.encode(0, welcome, 4, 12, 13, 30));
        s.put("welcome-then-open-ack-from-peer", SplitInput.encode(0, new Script()
                .control(new ControlMessage.Welcome(1, 0, ACCEPTOR, 7, 3000))
                .control(new ControlMessage.OpenChannel(2, new ChannelType(APP_TYPE), 0))
                .frame(PacketType.DATA, 2, ascii("from the acceptor")).bytes()));
        s.put("welcome-keepalive-0", SplitInput.encode(0, new Script()
                .control(new ControlMessage.Welcome(1, 0, ACCEPTOR, 7, 0)).bytes()));
        s.put("hello-to-connector", SplitInput.encode(0, new Script().control(new ControlMessage.Hello(1, 0, PEER)).bytes()));
        s.put("open-reject-before-welcome", SplitInput.encode(0, new Script()
                .control(new ControlMessage.OpenReject(1, ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(), "no")).bytes()));
        return s;
    }

    /** Frames as a correct peer numbers them: seq per channel from 0. */
    static final class Script {
        private final Map<Integer, Integer> seq = new HashMap<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Script seq(int ch, int next) {
            seq.put(ch, next);
            return this;
        }

        Script frame(PacketType type, int ch, byte[] payload) {
            int n = seq.getOrDefault(ch, 0);
            seq.put(ch, n + 1);
            out.writeBytes(FrameHeader.frame(type, n, ch, 0, payload));
            return this;
        }

        Script control(ControlMessage m) {
            return frame(PacketType.CONTROL, 0, ControlCodec.encode(m));
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A 12-byte header with any field values, including ones the codec refuses to write. */
    static byte[] header(long size, int type, int channel, int flags) {
        return new byte[] {(byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24), (byte) type,
                0, 0, 0, 0, (byte) channel, (byte) (channel >>> 8), (byte) flags};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes every seed under {@code args[0]} (the test resources root). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources");
        for (Map.Entry<String, Map<String, byte[]>> target : all().entrySet()) {
            Path dir = root.resolve(target.getKey());
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> seed : target.getValue().entrySet()) {
                Files.write(dir.resolve(seed.getKey()), seed.getValue());
            }
        }
    }
}
