package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The committed seed corpus is the one {@link FuzzSeeds} builds: a codec change that makes a
 * seed stale (so the replay would test something else than its name says) fails here.
 */
class FuzzSeedsTest {
    @Test
    void committedSeedsMatchTheGenerator() throws IOException {
        for (Map.Entry<String, Map<String, byte[]>> target : FuzzSeeds.all().entrySet()) {
            assertTrue(target.getValue().size() >= 4, () -> target.getKey() + " has too few seeds");
            for (Map.Entry<String, byte[]> seed : target.getValue().entrySet()) {
                String resource = "/" + target.getKey() + "/" + seed.getKey();
                try (InputStream in = FuzzSeedsTest.class.getResourceAsStream(resource)) {
                    assertNotNull(in, () -> resource + " is missing: run FuzzSeeds.main (see its javadoc)");
                    assertArrayEquals(seed.getValue(), in.readAllBytes(), () -> resource + " is stale: run FuzzSeeds.main");
                }
            }
        }
    }
}
