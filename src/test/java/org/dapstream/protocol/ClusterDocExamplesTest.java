package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hex examples of {@code docs/protocol-cluster-draft.md} are the frames the codecs build:
 * every {@code ```hex} block follows a line {@code Example: <name>}, the names are exactly
 * these, and each block reads back to the same message.
 */
class ClusterDocExamplesTest {
    static final Path DOC = Path.of("docs/protocol-cluster-draft.md");
    static final NodeAddress ORIGIN = NodeAddress.parse("0123::4567::89AB::CDEF");

    record Example(int seq, int channel, byte[] payload, Object decoded) {
    }

    static Map<String, Example> expected() {
        ByteBuffer hi = ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8));
        ClusterMessage.Join join = new ClusterMessage.Join(42, "prices");
        ClusterMessage.Message message = new ClusterMessage.Message(1, false, ORIGIN, 0x1A2B3C4D, 1, hi);
        LinkMessage.Forward forward = new LinkMessage.Forward("prices", ORIGIN, 0x1A2B3C4D, 1, hi);
        Map<String, Example> m = new LinkedHashMap<>();
        m.put("LINK FORWARD", new Example(3, 1, LinkCodec.encode(forward), forward));
        m.put("CLUSTER JOIN", new Example(0, 1, ClusterCodec.encode(join), join));
        m.put("CLUSTER MESSAGE", new Example(1, 1, ClusterCodec.encode(message), message));
        return m;
    }

    @Test
    void everyExampleIsTheFrameTheCodecBuilds() throws IOException, ProtocolException {
        Map<String, String> blocks = hexBlocks(Files.readAllLines(DOC));
        Map<String, Example> expected = expected();
        assertEquals(expected.keySet(), blocks.keySet(), "the examples of " + DOC);
        for (Map.Entry<String, Example> e : expected.entrySet()) {
            Example x = e.getValue();
            byte[] frame = Hex.decode(blocks.get(e.getKey()));
            Hex.assertBytes(FrameHeader.frame(PacketType.DATA, x.seq(), x.channel(), 0, x.payload()), frame, e.getKey());
            ByteBuffer payload = ByteBuffer.wrap(frame, FrameHeader.SIZE, frame.length - FrameHeader.SIZE);
            Object decoded = e.getKey().startsWith("LINK") ? LinkCodec.decode(payload) : ClusterCodec.decode(payload);
            assertEquals(x.decoded(), decoded, e.getKey());
        }
    }

    /** Example name to the hex of the block after it; a block without a name line fails. */
    private static Map<String, String> hexBlocks(List<String> lines) {
        Map<String, String> blocks = new LinkedHashMap<>();
        String name = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("Example: ")) {
                name = line.substring("Example: ".length()).strip();
            } else if (line.strip().equals("```hex")) {
                assertTrue(name != null, "a hex block without an Example line at line " + (i + 1));
                StringBuilder hex = new StringBuilder();
                for (i++; !lines.get(i).strip().equals("```"); i++) {
                    hex.append(lines.get(i)).append(' ');
                }
                assertEquals(null, blocks.put(name, hex.toString()), "example '" + name + "' twice");
                name = null;
            }
        }
        return blocks;
    }
}
