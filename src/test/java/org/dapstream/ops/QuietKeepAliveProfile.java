package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * Keepalives far apart, so a test's streams carry exactly the frames it drives and the
 * traffic totals can be computed frame by frame.
 */
public class QuietKeepAliveProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("dap.stream.keepalive.interval", "10m", "dap.stream.keepalive.timeout", "20m");
    }
}
