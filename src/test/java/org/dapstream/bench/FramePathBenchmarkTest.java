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
            for (int i = 0; i < 10_000; i++) {
                assertTrue(b.streamSend());
                b.rawSend();
            }
            assertEquals(10_000L * (FrameHeader.SIZE + 64), b.sendTransport().committed() - before);
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
