package org.dapstream.docs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.dapstream.compress.CompressionException;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FileCodec;
import org.dapstream.protocol.FileMessage;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.FragmentHeader;
import org.dapstream.protocol.FrameDecoder;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.KeepAlivePayload;
import org.dapstream.protocol.LinkCodec;
import org.dapstream.protocol.LinkMessage;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.ServiceCodec;
import org.dapstream.protocol.ServiceMessage;
import org.dapstream.stream.DiscardService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The hex examples of {@code docs/PROTOCOL.md} are what the code puts on the wire.
 *
 * <p>Every fenced block marked {@code ```hex} must follow a line {@code Example: <name>};
 * the set of names must be exactly {@link #EXAMPLES}' keys, each block's bytes must equal
 * the frame the codec builds for that example, and {@link FrameDecoder} (then the payload
 * codec of the frame's kind) must read the block back to the same values. So an example
 * that is removed, renamed, duplicated or has one byte changed fails here, and so does a
 * codec change that the document does not follow.
 *
 * <p>An example of a frame too long to print (a 64 KiB fragment) shows its first bytes only:
 * the block must then be exactly the start of the frame the codec builds, up to and including
 * the fragment header, and reads back once the elided bytes are appended. A COMPRESSED
 * example must decompress with {@link Lz4Payload} to the message it stands for.
 */
class ProtocolDocExamplesTest {
    static final Path DOC = Path.of("docs/PROTOCOL.md");

    static final NodeAddress CONNECTOR = NodeAddress.parse("0123::4567::89AB::CDEF");
    static final NodeAddress ACCEPTOR = NodeAddress.parse("FEDC::BA98::7654::3210");
    static final int SESSION_ID = 0x1A2B3C4D;
    static final long PING_TIMESTAMP = 0x00000A1B2C3D4E5FL;

    /**
     * One example: the frame's header fields, its payload, the typed payload a reader decodes,
     * and how many of the frame's bytes the document shows ({@code shown} < the frame's length
     * when the rest of the payload is elided).
     */
    record Example(PacketType type, int seq, int channel, int flags, byte[] payload, Object decoded, int shown) {
        Example(PacketType type, int seq, int channel, byte[] payload, Object decoded) {
            this(type, seq, channel, 0, payload, decoded, FrameHeader.SIZE + payload.length);
        }

        byte[] frame() {
            return FrameHeader.frame(type, seq, channel, flags, payload);
        }

        /** The bytes the document prints. */
        byte[] shownBytes() {
            return Arrays.copyOf(frame(), shown);
        }

        boolean elided() {
            return shown < FrameHeader.SIZE + payload.length;
        }
    }

    /** A fragment example: the fragment header a reader finds and how many message bytes follow it. */
    record Fragment(FragmentHeader header, int dataBytes) {
    }

    /** A COMPRESSED example: the message the payload decompresses to. */
    record Compressed(byte[] message) {
    }

    /** The examples of PROTOCOL.md by name, in the order the document shows them. */
    static final Map<String, Example> EXAMPLES = examples();

    private static Map<String, Example> examples() {
        Map<String, Example> m = new LinkedHashMap<>();
        // The connector's and the acceptor's frames of one stream, as PROTOCOL.md §12 walks through them.
        control(m, "HELLO", 0, new ControlMessage.Hello(ControlMessage.PROTOCOL_VERSION, 0, CONNECTOR));
        control(m, "WELCOME", 0, new ControlMessage.Welcome(ControlMessage.PROTOCOL_VERSION, 0, ACCEPTOR, SESSION_ID, 3000));
        control(m, "OPEN_CHANNEL", 1, new ControlMessage.OpenChannel(1, ChannelType.ECHO, 0));
        control(m, "OPEN_ACK", 1, new ControlMessage.OpenAck(1));
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        m.put("DATA", new Example(PacketType.DATA, 0, 1, hello, hello));
        control(m, "OPEN_CHANNEL of a custom type", 2, new ControlMessage.OpenChannel(3, ChannelType.custom(0x20), 0));
        control(m, "OPEN_REJECT", 2, new ControlMessage.OpenReject(3, ErrorCode.UNSUPPORTED_CHANNEL_TYPE.code(),
                "no service for channel type " + ChannelType.custom(0x20)));
        // Another stream: the draining acceptor's GOAWAY right after its WELCOME (PROTOCOL.md §11.6).
        control(m, "GOAWAY", 1, new ControlMessage.GoAway(20_000, "10.0.0.7:8079", "draining"));
        keepAlive(m, "KEEPALIVE ping", 3, new KeepAlivePayload(false, PING_TIMESTAMP));
        keepAlive(m, "KEEPALIVE pong", 3, new KeepAlivePayload(true, PING_TIMESTAMP));
        m.put("CONTROL on a channel", new Example(PacketType.CONTROL, 2, 5, new byte[0], new byte[0]));
        byte[] report = ByteBuffer.allocate(DiscardService.REPORT_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(2).putLong(8192).array();
        m.put("DISCARD report", new Example(PacketType.CONTROL, 0, 5, report, new long[] {2, 8192}));
        close(m, "CLOSE on a channel", PacketType.CLOSE, 1, 1, CloseReason.of(ErrorCode.NORMAL, "closed by application"));
        close(m, "CLOSE answer on a channel", PacketType.CLOSE, 1, 1, CloseReason.of(ErrorCode.NORMAL, ""));
        close(m, "ERROR on a channel", PacketType.ERROR, 1, 5,
                CloseReason.of(ErrorCode.HANDLER_FAILED, "handler failed: IllegalStateException"));
        close(m, "CLOSE on ch 0", PacketType.CLOSE, 5, 0, CloseReason.of(ErrorCode.NORMAL, "closed by application"));
        close(m, "CLOSE answer on ch 0", PacketType.CLOSE, 5, 0, CloseReason.of(ErrorCode.NORMAL, ""));
        // Another stream: the acceptor, after two frames of its own on ch 0, gets seq 3 where 1 was due on channel 1.
        close(m, "ERROR on ch 0", PacketType.ERROR, 2, 0,
                CloseReason.of(ErrorCode.BAD_SEQUENCE, "channel 1: expected seq 1, got 3"));
        // Flow control (PROTOCOL.md §11.7, §24): an acceptor configured with a 16 MiB channel window grants
        // the 15 MiB above the initial window right after its OPEN_ACK; later it returns 2 MiB of the stream window.
        control(m, "WINDOW_UPDATE for a channel", 2, new ControlMessage.WindowUpdate(1, 15 * 1024 * 1024));
        control(m, "WINDOW_UPDATE for the stream", 7, new ControlMessage.WindowUpdate(0, FlowWindow.INITIAL_STREAM_WINDOW / 2));
        control(m, "ACK", 3, new ControlMessage.Ack(1, 3));
        FileMessage.Offer offer = new FileMessage.Offer(7, 4096, 0644, 1_700_000_000_000L, "a/b.c");
        m.put("FILE OFFER", new Example(PacketType.DATA, 0, 1, FileCodec.encode(offer), offer));
        // Fragmentation (§25): a 150000-byte DATA message as the first three frames on channel 1.
        fragments(m, 1, 150_000);
        // Compression (§26): channel 7 opened with the compression option, then 64 x 'a' sent COMPRESSED.
        control(m, "OPEN_CHANNEL offering compression", 5, new ControlMessage.OpenChannel(7, ChannelType.SERVICE,
                ControlMessage.OPTION_COMPRESSION));
        byte[] sixtyFourA = new byte[64];
        Arrays.fill(sixtyFourA, (byte) 'a');
        m.put("COMPRESSED DATA", new Example(PacketType.DATA, 0, 7, Flags.COMPRESSED, compress(sixtyFourA),
                new Compressed(sixtyFourA), FrameHeader.SIZE + compress(sixtyFourA).length));
        // PROTOCOL.md section 27: a broadcast on a LINK, a client's JOIN, the MESSAGE a member gets.
        ByteBuffer hi = ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8));
        LinkMessage.Forward forward = new LinkMessage.Forward("prices", CONNECTOR, SESSION_ID, 1, hi);
        m.put("LINK FORWARD", new Example(PacketType.DATA, 3, 1, LinkCodec.encode(forward), forward));
        ClusterMessage.Join join = new ClusterMessage.Join(42, "prices");
        m.put("CLUSTER JOIN", new Example(PacketType.DATA, 0, 1, ClusterCodec.encode(join), join));
        ClusterMessage.Message message = new ClusterMessage.Message(1, false, CONNECTOR, SESSION_ID, 1, hi);
        m.put("CLUSTER MESSAGE", new Example(PacketType.DATA, 1, 1, ClusterCodec.encode(message), message));
        // PROTOCOL.md section 31: a GET of the node's own health route on a SERVICE channel.
        ServiceMessage.Request request = new ServiceMessage.Request(7, true, "GET", "node", "/q/health",
                List.of(new ServiceMessage.Header("accept", "*/*")));
        m.put("SERVICE REQUEST", new Example(PacketType.DATA, 0, 1, ServiceCodec.encode(request), request));
        return m;
    }

    /** The frames of one fragmented DATA message on a fresh channel, as the engine cuts it (64 KiB of data each). */
    private static void fragments(Map<String, Example> m, int channel, int total) {
        int count = (total + FRAGMENT_DATA - 1) / FRAGMENT_DATA;
        for (int i = 0, offset = 0; offset < total; i++, offset += FRAGMENT_DATA) {
            int data = Math.min(FRAGMENT_DATA, total - offset);
            byte[] payload = new byte[FragmentHeader.SIZE + data];
            FragmentHeader.write(payload, 0, total, offset);
            for (int j = 0; j < data; j++) {
                payload[FragmentHeader.SIZE + j] = (byte) (offset + j); // message byte k is k mod 256
            }
            boolean last = offset + data == total;
            m.put("fragment " + (i + 1) + " of " + count, new Example(PacketType.DATA, i, channel, last ? 0 : Flags.FRAGMENTED,
                    payload, new Fragment(new FragmentHeader(total, offset), data), FrameHeader.SIZE + FragmentHeader.SIZE));
        }
    }

    private static byte[] compress(byte[] message) {
        ByteBuffer out = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(message.length));
        int n = Lz4Payload.compress(ByteBuffer.wrap(message), 0, message.length, out, 0);
        return Arrays.copyOf(out.array(), n);
    }

    private static void control(Map<String, Example> m, String name, int seq, ControlMessage message) {
        m.put(name, new Example(PacketType.CONTROL, seq, 0, ControlCodec.encode(message), message));
    }

    private static void keepAlive(Map<String, Example> m, String name, int seq, KeepAlivePayload payload) {
        m.put(name, new Example(PacketType.KEEPALIVE, seq, 0, payload.encode(), payload));
    }

    private static void close(Map<String, Example> m, String name, PacketType type, int seq, int channel, CloseReason reason) {
        m.put(name, new Example(type, seq, channel, reason.encode(), reason));
    }

    // ------------------------------------------------------------------ the document

    /** A {@code ```hex} block of the document: its name, its bytes, and the line it starts on. */
    record Block(String name, byte[] bytes, int line) {
    }

    private static Map<String, Block> blocks;

    @BeforeAll
    static void readDocument() throws IOException {
        assertTrue(Files.isRegularFile(DOC), DOC.toAbsolutePath() + " is missing (tests run from the project directory)");
        blocks = parse(Files.readAllLines(DOC, StandardCharsets.UTF_8));
    }

    static Map<String, Block> parse(List<String> lines) {
        Map<String, Block> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("Example:")) {
                int fence = nextNonBlank(lines, i + 1);
                if (fence < 0 || !lines.get(fence).strip().equals("```hex")) {
                    fail("line " + (i + 1) + ": '" + line + "' is not followed by a ```hex block");
                }
            }
            if (!line.startsWith("```hex")) {
                continue;
            }
            if (!line.equals("```hex")) {
                fail("line " + (i + 1) + ": a hex block opens with exactly ```hex, got '" + line + "'");
            }
            int label = previousNonBlank(lines, i - 1);
            if (label < 0 || !lines.get(label).strip().startsWith("Example:")) {
                fail("line " + (i + 1) + ": a ```hex block must follow a line 'Example: <name>'");
            }
            String name = lines.get(label).strip().substring("Example:".length()).strip();
            StringBuilder hex = new StringBuilder();
            int j = i + 1;
            for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                hex.append(lines.get(j)).append('\n');
            }
            if (j == lines.size()) {
                fail("line " + (i + 1) + ": hex block '" + name + "' is not closed");
            }
            Block previous = out.put(name, new Block(name, decodeHex(hex.toString(), name), i + 1));
            if (previous != null) {
                fail("example '" + name + "' appears twice, at lines " + previous.line() + " and " + (i + 1));
            }
            i = j;
        }
        return out;
    }

    private static int nextNonBlank(List<String> lines, int from) {
        for (int i = from; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                return i;
            }
        }
        return -1;
    }

    private static int previousNonBlank(List<String> lines, int from) {
        for (int i = from; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ the checks

    @Test
    void theDocumentHasExactlyTheExpectedExamples() {
        assertEquals(new TreeSet<>(EXAMPLES.keySet()), new TreeSet<>(blocks.keySet()),
                "Example names in " + DOC + " (left: expected by this test, right: found in the document)");
    }

    @TestFactory
    List<DynamicTest> eachExampleIsWhatTheCodeEncodes() {
        List<DynamicTest> tests = new ArrayList<>();
        EXAMPLES.forEach((name, example) -> tests.add(DynamicTest.dynamicTest(name, () -> {
            Block block = blocks.get(name);
            assertNotNull(block, "example '" + name + "' is missing from " + DOC);
            assertEquals(dump(example.shownBytes()), dump(block.bytes()),
                    "bytes of example '" + name + "' (line " + block.line() + ") against the codec"
                            + (example.elided() ? " (the first " + example.shown() + " bytes of the frame)" : ""));
        })));
        return tests;
    }

    @TestFactory
    List<DynamicTest> eachExampleDecodesBack() {
        List<DynamicTest> tests = new ArrayList<>();
        blocks.forEach((name, block) -> tests.add(DynamicTest.dynamicTest(name, () -> {
            Example example = EXAMPLES.get(name);
            assertNotNull(example, "example '" + name + "' (line " + block.line() + ") is not one this test knows");
            // The frame as printed, with what the document elides put back after it.
            byte[] frame = block.bytes();
            if (example.elided()) {
                byte[] whole = example.frame();
                frame = Arrays.copyOf(block.bytes(), whole.length);
                System.arraycopy(whole, block.bytes().length, frame, block.bytes().length, whole.length - block.bytes().length);
            }
            // Whole, then one byte at a time: both paths of the decoder must agree.
            for (int chunk : new int[] {frame.length, 1}) {
                List<Decoded> frames = decode(frame, chunk);
                assertEquals(1, frames.size(), "frames in example '" + name + "'");
                Decoded f = frames.get(0);
                assertEquals(example.type(), f.type(), "type of " + name);
                assertEquals(example.seq(), f.seq(), "seq_id of " + name);
                assertEquals(example.channel(), f.channel(), "ch_id of " + name);
                assertEquals(example.flags(), f.flags(), "flags of " + name);
                assertArrayEquals(example.payload(), f.payload(), "payload of " + name);
                assertPayloadDecodes(name, example, f);
            }
        })));
        return tests;
    }

    private static void assertPayloadDecodes(String name, Example example, Decoded f) throws ProtocolException {
        ByteBuffer payload = ByteBuffer.wrap(f.payload());
        switch (f.type()) {
            case CONTROL -> {
                if (f.channel() == 0) {
                    assertEquals(example.decoded(), ControlCodec.decode(payload), "CONTROL message of " + name);
                } else if (example.decoded() instanceof long[] counts) {
                    assertArrayEquals(counts, DiscardService.readReport(payload), "DISCARD report of " + name);
                } else {
                    assertArrayEquals((byte[]) example.decoded(), f.payload(), "application CONTROL payload of " + name);
                }
            }
            case KEEPALIVE -> assertEquals(example.decoded(), KeepAlivePayload.decode(payload), "KEEPALIVE payload of " + name);
            case CLOSE, ERROR -> assertEquals(example.decoded(), CloseReason.decode(payload), "CLOSE/ERROR payload of " + name);
            case DATA -> {
                if (example.decoded() instanceof Fragment fragment) {
                    assertEquals(fragment.header(), FragmentHeader.read(payload), "fragment header of " + name);
                    assertEquals(fragment.dataBytes(), FragmentHeader.dataSize(f.payload().length), "message bytes in " + name);
                } else if (example.decoded() instanceof Compressed compressed) {
                    assertEquals(Flags.COMPRESSED, f.flags() & Flags.COMPRESSED, "COMPRESSED flag of " + name);
                    byte[] message = new byte[compressed.message().length];
                    int n = decompress(payload, message);
                    assertEquals(message.length, n, "decompressed length of " + name);
                    assertArrayEquals(compressed.message(), message, "decompressed payload of " + name);
                } else if (example.decoded() instanceof LinkMessage link) {
                    assertEquals(link, LinkCodec.decode(payload), "LINK message of " + name);
                } else if (example.decoded() instanceof ClusterMessage cluster) {
                    assertEquals(cluster, ClusterCodec.decode(payload), "CLUSTER message of " + name);
                } else if (example.decoded() instanceof ServiceMessage service) {
                    assertEquals(service, ServiceCodec.decode(payload), "SERVICE message of " + name);
                } else if (example.decoded() instanceof FileMessage file) {
                    // records with arrays compare by identity: compare what they encode to
                    assertArrayEquals(FileCodec.encode(file), FileCodec.encode(FileCodec.decode(payload)), "FILE message of " + name);
                } else {
                    assertArrayEquals((byte[]) example.decoded(), f.payload(), "DATA payload of " + name);
                }
            }
        }
    }

    @Test
    void theParserReadsNamesAndBytesAsWritten() {
        byte[] data = EXAMPLES.get("DATA").frame();
        String doc = "Some text.\n\nExample: DATA\n\n```hex\n" + hex(data).substring(0, 8) + " \n  " + hex(data).substring(8)
                + "\n```\n\nExample: DATA frame\n```hex\n00\n```\n";
        Map<String, Block> parsed = parse(doc.lines().toList());
        assertEquals(List.of("DATA", "DATA frame"), List.copyOf(parsed.keySet()));
        assertArrayEquals(data, parsed.get("DATA").bytes());
        assertArrayEquals(new byte[] {0}, parsed.get("DATA frame").bytes());
    }

    @Test
    void theParserRefusesDuplicateUnlabelledAndNonHexBlocks() {
        assertThrows(AssertionFailedError.class,
                () -> parse("Example: A\n```hex\n00\n```\nExample: A\n```hex\n00\n```\n".lines().toList()), "duplicate");
        assertThrows(AssertionFailedError.class, () -> parse("text\n```hex\n00\n```\n".lines().toList()), "unlabelled");
        assertThrows(AssertionFailedError.class, () -> parse("Example: A\n```hex\n0g\n```\n".lines().toList()), "not hex");
        assertThrows(AssertionFailedError.class, () -> parse("Example: A\n```hex\n000\n```\n".lines().toList()), "odd digits");
        assertThrows(AssertionFailedError.class, () -> parse("Example: A\n\nno block\n".lines().toList()), "label without block");
        assertThrows(AssertionFailedError.class, () -> parse("Example: A\n```hex\n00\n".lines().toList()), "unclosed");
    }

    /** The three fragments really are how the engine cuts 150000 bytes, and the last one ends the message. */
    @Test
    void theFragmentExamplesCoverTheWholeMessage() {
        long covered = 0;
        for (int i = 1; i <= 3; i++) {
            Example e = EXAMPLES.get("fragment " + i + " of 3");
            Fragment f = (Fragment) e.decoded();
            assertEquals(covered, f.header().offset(), "offset of fragment " + i);
            covered += f.dataBytes();
            assertEquals(i < 3 ? Flags.FRAGMENTED : 0, e.flags(), "flags of fragment " + i);
            assertTrue(FrameHeader.SIZE + e.payload().length <= FrameHeader.SIZE + FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD,
                    "fragment " + i + " fits the default frame limit");
        }
        assertEquals(150_000, covered);
    }

    // ------------------------------------------------------------------ helpers

    /** Message bytes one fragment carries: the engine's fragment size, the 64 KiB a frame may carry. */
    static final int FRAGMENT_DATA = FrameLimits.DEFAULT_MESSAGE_PAYLOAD;

    private static int decompress(ByteBuffer payload, byte[] into) {
        try {
            return Lz4Payload.decompress(payload, payload.position(), payload.remaining(), ByteBuffer.wrap(into), 0, into.length);
        } catch (CompressionException e) {
            throw new AssertionError("the COMPRESSED example does not decompress: " + e.getMessage(), e);
        }
    }

    record Decoded(PacketType type, int seq, int channel, int flags, byte[] payload) {
    }

    private static List<Decoded> decode(byte[] bytes, int chunk) throws ProtocolException {
        FrameDecoder decoder = new FrameDecoder(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD);
        List<Decoded> out = new ArrayList<>();
        for (int at = 0; at < bytes.length; at += chunk) {
            ByteBuffer in = ByteBuffer.wrap(bytes, at, Math.min(chunk, bytes.length - at));
            decoder.feed(in, (type, seq, ch, flags, payload) -> {
                byte[] copy = new byte[payload.remaining()];
                payload.duplicate().get(copy);
                out.add(new Decoded(type, seq, ch, flags, copy));
            });
        }
        assertFalse(decoder.hasPartialFrame(), "bytes left over after the frame");
        return out;
    }

    private static byte[] decodeHex(String text, String name) {
        StringBuilder digits = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (Character.isWhitespace(c)) {
                continue;
            }
            if (Character.digit(c, 16) < 0) {
                fail("example '" + name + "': '" + c + "' is not a hex digit");
            }
            digits.append(c);
        }
        if (digits.length() % 2 != 0) {
            fail("example '" + name + "': odd number of hex digits");
        }
        byte[] out = new byte[digits.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b & 0xFF));
        }
        return out.toString();
    }

    /** 16 bytes per line with offsets, so a failed comparison shows where the bytes differ. */
    static String dump(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int line = 0; line < bytes.length; line += 16) {
            out.append(String.format("%04x:", line));
            for (int i = line; i < Math.min(line + 16, bytes.length); i++) {
                out.append(String.format(" %02x", bytes[i] & 0xFF));
            }
            out.append('\n');
        }
        return out.append(String.format("(%d bytes)%n", bytes.length)).toString();
    }
}
