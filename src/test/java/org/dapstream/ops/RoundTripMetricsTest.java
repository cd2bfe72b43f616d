package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.concurrent.TimeUnit;

/** Keepalive pongs feed the round-trip histogram (the %test keepalive interval is 300 ms). */
@QuarkusTest
public class RoundTripMetricsTest {
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void anIdleStreamsPongsAreObservedInTheHistogram() throws Exception {
        Management mgmt = new Management(management);
        Scrape before = new Scrape(mgmt.get("/q/metrics").body());
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect("127.0.0.1", mgmt.streamPort()).get(10, TimeUnit.SECONDS);
            Scrape after = before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (after.count("dap_stream_round_trip_seconds_count") - before.count("dap_stream_round_trip_seconds_count") < 2
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
                after = new Scrape(mgmt.get("/q/metrics").body());
            }
            long pongs = after.count("dap_stream_round_trip_seconds_count") - before.count("dap_stream_round_trip_seconds_count");
            assertTrue(pongs >= 2, "the idle node pinged and measured, got " + pongs + " samples");
            double sum = after.value("dap_stream_round_trip_seconds_sum") - before.value("dap_stream_round_trip_seconds_sum");
            assertTrue(sum > 0 && sum < pongs * 1.0, "loopback round trips are positive and well under 1 s each: " + sum);
            assertEquals(after.count("dap_stream_round_trip_seconds_count"),
                    after.count("dap_stream_round_trip_seconds_bucket", "le", "+Inf"), "the +Inf bucket holds every sample");
            stream.close();
            stream.closed().get(10, TimeUnit.SECONDS);
        }
    }
}
