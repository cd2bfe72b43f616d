package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.compress.CompressionGoal;
import org.dapstream.compress.ThroughputTrial;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The throughput trial inside the engine: a compressing channel behind a stream rate limit
 * (the link is the bottleneck, so it must compress, and needs no trial to know), with the
 * manual clock.
 */
class CompressionTrialEngineTest extends EngineTest {
    /** 200 kB/s of frame bytes: a 2 KiB text message compresses to well under half of that. */
    private static final long RATE = 200_000;
    private static final int MESSAGE = 2048;
    private static final int MESSAGES = 400;

    private static StreamConfig config(CompressionGoal goal) {
        return StreamHarness.defaults().withFlow(FlowConfig.defaults()
                .withRates(new RateLimit(RATE, 0), RateLimit.NONE)
                .withCompressionGoal(goal));
    }

    /** Compressible like the bench's JSON logs: repeated field names, changing numbers. */
    private static byte[] logLines(int k) {
        StringBuilder b = new StringBuilder();
        for (int line = 0; b.length() < MESSAGE; line++) {
            b.append("{\"ts\":").append(1_700_000_000_000L + k * 100L + line)
                    .append(",\"level\":\"INFO\",\"node\":\"4A1F::").append(k % 7).append("\",\"msg\":\"frame ")
                    .append(line).append(" ok\"}\n");
        }
        return b.substring(0, MESSAGE).getBytes(StandardCharsets.US_ASCII);
    }

    /** Opens a compressing channel from the peer, queues everything, and collects frames at 1 ms steps. */
    private static List<long[]> run(StreamHarness h) {
        h.peer.open(1, StreamHarness.APP, ControlMessage.OPTION_COMPRESSION);
        assertEquals(new ControlMessage.OpenAck(1), h.peer.next().control());
        Channel ch = h.service.channel(1);
        for (int k = 0; k < MESSAGES; k++) {
            ch.write(PacketType.DATA, logLines(k));
        }
        List<long[]> frames = new ArrayList<>(); // {ms, compressed 0/1}
        for (long ms = 0; ms <= 4000 && frames.size() < MESSAGES; ms++) {
            for (Frame f : h.peer.frames()) {
                if (f.type() == PacketType.DATA) {
                    frames.add(new long[] {ms, (f.flags() & Flags.COMPRESSED) != 0 ? 1 : 0});
                }
            }
            h.advanceMillis(1);
        }
        assertEquals(MESSAGES, frames.size(), "every message arrives");
        return frames;
    }

    @Test
    void behindARateLimitEveryFrameIsCompressedWithoutATrial() {
        StreamHarness h = StreamHarness.activeAcceptor(config(CompressionGoal.THROUGHPUT));
        List<long[]> frames = run(h);
        ThroughputTrial trial = h.service.channel(1).queue.compressor.trial();
        // The queued writer is held back, but by the rate limit: the wire budget is the known
        // bottleneck, so no raw phase is spent finding out.
        assertEquals(0, trial.trials());
        assertTrue(trial.isFree());
        for (long[] f : frames) {
            assertEquals(1, f[1], "frame at " + f[0] + " ms compressed");
        }
    }

    @Test
    void withTheBytesGoalEveryFrameThatShrinksIsCompressed() {
        StreamHarness h = StreamHarness.activeAcceptor(config(CompressionGoal.BYTES));
        List<long[]> frames = run(h);
        assertEquals(null, h.service.channel(1).queue.compressor.trial());
        for (long[] f : frames) {
            assertEquals(1, f[1], "frame at " + f[0] + " ms compressed");
        }
    }

    @Test
    void theBytesGoalIsFasterBehindTheSameLimitThanSendingRaw() {
        // The reason compression wins the trial above: the same 400 messages, all compressed,
        // leave in a fraction of the time they need raw (~4.1 s at 200 kB/s).
        StreamHarness h = StreamHarness.activeAcceptor(config(CompressionGoal.BYTES));
        List<long[]> frames = run(h);
        long doneMs = frames.get(frames.size() - 1)[0];
        long rawMs = (long) MESSAGES * (MESSAGE + 12) * 1000 / RATE;
        assertTrue(doneMs * 2 < rawMs, "compressed transfer took " + doneMs + " ms, raw would take " + rawMs);
    }
}
