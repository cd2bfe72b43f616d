package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** g_dap_stream_debug_more: a line per frame, both ways, switchable, never with payload bytes. */
class FrameTraceTest extends EngineTest {
    private static final String SECRET = "SECRET-PAYLOAD-4711";

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Logger logger;
    private Level levelBefore;
    private boolean useParentHandlersBefore;

    @BeforeEach
    void capture() {
        logger = Logger.getLogger(FrameTrace.LOGGER);
        levelBefore = logger.getLevel();
        useParentHandlersBefore = logger.getUseParentHandlers();
        logger.setLevel(Level.INFO);
        logger.setUseParentHandlers(false); // keep the test's trace off the console
        logger.addHandler(capture);
    }

    @AfterEach
    void release() {
        FrameTrace.enable(false);
        logger.removeHandler(capture);
        logger.setLevel(levelBefore);
        logger.setUseParentHandlers(useParentHandlersBefore);
    }

    @Test
    void lineFormat() {
        assertEquals("stream 7 <- DATA ch=3 seq=4294967295 size=100 flags=0x00",
                FrameTrace.line(7, true, PacketType.DATA, 3, -1, 100, 0));
        assertEquals("stream 7 -> CLOSE ch=0 seq=2 size=2 flags=0x03(COMPRESSED|ENCRYPTED)",
                FrameTrace.line(7, false, PacketType.CLOSE, 0, 2, 2, Flags.COMPRESSED | Flags.ENCRYPTED));
    }

    @Test
    void offByDefault() {
        assertFalse(FrameTrace.enabled());
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1).write(PacketType.DATA, new byte[3]);
        assertEquals(List.of(), lines);
    }

    @Test
    void aLinePerFrameInAndOut() {
        StreamHarness h = StreamHarness.acceptor();
        FrameTrace.enable(true);
        assertTrue(FrameTrace.enabled());
        int id = h.stream.id();
        h.peer.hello();
        h.peer.open(1, StreamHarness.APP);
        Channel ch = h.service.channel(1);
        h.peer.data(1, SECRET);
        ch.write(PacketType.DATA, SECRET.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(
                "stream " + id + " <- CONTROL ch=0 seq=0 size=13 flags=0x00",
                "stream " + id + " -> CONTROL ch=0 seq=0 size=21 flags=0x00",
                "stream " + id + " <- CONTROL ch=0 seq=1 size=5 flags=0x00",
                "stream " + id + " -> CONTROL ch=0 seq=1 size=3 flags=0x00",
                "stream " + id + " <- DATA ch=1 seq=0 size=19 flags=0x00",
                "stream " + id + " -> DATA ch=1 seq=0 size=19 flags=0x00"), lines);

        FrameTrace.enable(false);
        h.peer.data(1, "more");
        ch.write(PacketType.DATA, new byte[1]);
        assertEquals(6, lines.size(), "switched off at run time");
    }

    @Test
    void inboundFlagsAreTracedBeforeTheFrameIsRefused() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        FrameTrace.enable(true);
        // The peer opened ch 1 without the compression option: COMPRESSED is refused there.
        h.peer.send(PacketType.DATA, 1, Flags.COMPRESSED, SECRET.getBytes(StandardCharsets.UTF_8));
        h.peer.expectStreamError(ErrorCode.FLAG_NOT_NEGOTIATED);
        int id = h.stream.id();
        assertEquals("stream " + id + " <- DATA ch=1 seq=0 size=19 flags=0x01(COMPRESSED)", lines.get(0));
        assertTrue(lines.get(1).startsWith("stream " + id + " -> ERROR ch=0 seq="), lines::toString);
    }

    @Test
    void neverThePayload() {
        StreamHarness h = StreamHarness.activeAcceptor();
        FrameTrace.enable(true);
        Channel ch = h.peerOpens(1);
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        h.peer.data(1, secret);
        h.peer.send(PacketType.CONTROL, 1, secret);
        ch.write(PacketType.DATA, secret);
        ch.write(PacketType.CONTROL, secret);
        h.peer.close(1, ErrorCode.NORMAL, SECRET);
        h.peer.error(0, ErrorCode.GOING_AWAY, SECRET);
        assertTrue(lines.size() >= 8, lines::toString);
        String hex = HexFormat.of().formatHex(secret);
        for (String line : lines) {
            assertFalse(line.contains("SECRET"), line);
            assertFalse(line.toLowerCase().contains(hex.substring(0, 16)), line);
        }
    }
}
