package org.dapstream.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import org.dapstream.ops.http.JsonReplies;
import org.dapstream.stream.StreamStats;
import org.junit.jupiter.api.Test;

/** How stream statistics look in the admin API's JSON. */
class AdminViewsTest {

    private static JsonNode json(StreamStats st) {
        return JsonReplies.mapper().valueToTree(AdminViews.stats(st));
    }

    @Test
    void latencyIsAbsentBeforeTheFirstRoundTrip() {
        JsonNode stats = json(new StreamStats(3, 2, 120, 80, 1, Double.NaN));
        assertFalse(stats.has("avgLatencyMillis"), stats::toString);
        assertEquals(3, stats.get("packetsSent").asLong());
        assertEquals(1, stats.get("activeChannels").asInt());
    }

    @Test
    void latencyIsANumberOnceMeasured() {
        JsonNode stats = json(new StreamStats(3, 2, 120, 80, 1, 0.25));
        assertEquals(0.25, stats.get("avgLatencyMillis").asDouble(), 1e-12);
    }
}
