package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link MetricsTest} against the packaged jar. */
@QuarkusIntegrationTest
public class MetricsIT extends MetricsTest {
}
