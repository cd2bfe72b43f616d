package org.dapstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.FrameHeader;
import org.dapstream.stream.StreamState;
import org.junit.jupiter.api.Test;

/** Keeps the microbenchmark honest: each operation does what its name says, many times over without failing. */
class FramePathBenchmarkTest {
    @Test
    void everyOperationWorksRepeatedly() throws Exception {
        FramePathBenchmark b = new FramePathBenchmark();
        b.size = 64;
        b.setUp();
        try {
            long before = b.sendTransport().committed();
            // 100,000 x 64 B is 6.4 MB: past both initial windows, so the benchmark's grants must keep the fast path open.
            for (int i = 0; i < 100_000; i++) {
                assertTrue(b.streamSend());
                b.rawSend();
            }
            assertEquals(100_000L * (FrameHeader.SIZE + 64), b.sendTransport().committed() - before,
                    "every message went straight into the batch, none queued for credit");
            assertEquals(0, b.sendChannel().queuedBytes());
            for (int i = 0; i < 100; i++) {
                b.streamReceive();
                b.rawReceive();
            }
            assertEquals(StreamState.ACTIVE, b.receiver().state(), "the receiver accepted every frame");
            assertEquals(100L * FramePathBenchmark.FRAMES_PER_CHUNK,
                    b.receiver().channels().get(0).stats().packetsReceived());
            assertEquals(100L * FramePathBenchmark.FRAMES_PER_CHUNK, b.rawMessages());
        } finally {
            b.tearDown();
        }
    }
}
