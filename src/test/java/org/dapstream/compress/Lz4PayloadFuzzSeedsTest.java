package org.dapstream.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** The committed seeds of {@link Lz4PayloadFuzzTest} are the ones it builds (rewrite: its {@code main}). */
class Lz4PayloadFuzzSeedsTest {
    @Test
    void committedSeedsMatchTheGenerator() throws IOException {
        for (Map.Entry<String, byte[]> seed : Lz4PayloadFuzzTest.seeds().entrySet()) {
            String resource = "Lz4PayloadFuzzTestInputs/decompress/" + seed.getKey();
            try (InputStream in = Lz4PayloadFuzzSeedsTest.class.getResourceAsStream(resource)) {
                assertNotNull(in, () -> resource + " is missing: run Lz4PayloadFuzzTest.main");
                assertArrayEquals(seed.getValue(), in.readAllBytes(), () -> resource + " is stale: run Lz4PayloadFuzzTest.main");
            }
        }
    }
}
