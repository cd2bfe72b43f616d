package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

/** A draining node's streams go to the ready members so that their session counts even out. */
class DrainAlternatesTest {
    @Test
    void streamsFillTheLeastLoadedMembersFirstThenSpreadEvenly() {
        DrainAlternates alternates = new DrainAlternates(Map.of("b:1", 10L, "c:1", 4L));
        Map<String, Integer> sent = new HashMap<>();
        for (int i = 0; i < 26; i++) {
            sent.merge(alternates.apply(null), 1, Integer::sum);
        }
        // c takes 6 to reach 10, then the remaining 20 split 10 and 10: both end at 20
        assertEquals(Map.of("b:1", 10, "c:1", 16), sent);
    }

    @Test
    void withNoReadyMemberThereIsNoAlternate() {
        assertEquals("", new DrainAlternates(Map.of()).apply(null));
    }
}
