package org.dapstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Who takes a member's excess sessions: only members below the share, each up to it, the least loaded first. */
class RebalancerTest {
    @Test
    void twoEmptyMembersTakeTheShareEachInTurns() {
        List<String> r = Rebalancer.receivers(Map.of("a:1", 0L, "b:1", 0L), 100);
        assertEquals(200, r.size());
        assertEquals(100, r.stream().filter("a:1"::equals).count());
        assertEquals(List.of("a:1", "b:1", "a:1", "b:1"), r.subList(0, 4), "in turns, ties to the smaller endpoint");
    }

    @Test
    void theLeastLoadedFillsFirstAndNoneGoesAboveTheShare() {
        List<String> r = Rebalancer.receivers(Map.of("a:1", 90L, "b:1", 97L, "c:1", 100L, "d:1", 130L), 100);
        assertEquals(13, r.size(), "10 for a, 3 for b, none for members at or above the share");
        assertEquals(List.of("a:1", "a:1", "a:1", "a:1", "a:1", "a:1", "a:1", "a:1"), r.subList(0, 8));
        assertEquals(10, r.stream().filter("a:1"::equals).count());
        assertEquals(3, r.stream().filter("b:1"::equals).count());
    }

    @Test
    void nobodyBelowTheShareTakesNothing() {
        assertTrue(Rebalancer.receivers(new HashMap<>(Map.of("a:1", 100L)), 100).isEmpty());
        assertTrue(Rebalancer.receivers(Map.of(), 5).isEmpty());
    }

    @Test
    void settingsRefuseValuesThatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> new Rebalancer.Settings(Duration.ofMillis(5), 0.05, 100));
        assertThrows(IllegalArgumentException.class, () -> new Rebalancer.Settings(Duration.ofSeconds(5), 1.5, 100));
        assertThrows(IllegalArgumentException.class, () -> new Rebalancer.Settings(Duration.ofSeconds(5), Double.NaN, 100));
        assertThrows(IllegalArgumentException.class, () -> new Rebalancer.Settings(Duration.ofSeconds(5), 0.05, 0));
        assertEquals(Duration.ofSeconds(5), Rebalancer.Settings.defaults().interval());
    }
}
