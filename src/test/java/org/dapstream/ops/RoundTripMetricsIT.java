package org.dapstream.ops;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link RoundTripMetricsTest} against the packaged jar. */
@QuarkusIntegrationTest
@WithTestResource(ManagementPortResource.class)
public class RoundTripMetricsIT extends RoundTripMetricsTest {
}
