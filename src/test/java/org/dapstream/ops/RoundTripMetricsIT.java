package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link RoundTripMetricsTest} against the packaged jar. */
@QuarkusIntegrationTest
public class RoundTripMetricsIT extends RoundTripMetricsTest {
}
