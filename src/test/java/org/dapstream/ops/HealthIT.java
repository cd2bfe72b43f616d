package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link HealthTest} against the packaged jar. */
@QuarkusIntegrationTest
public class HealthIT extends HealthTest {
}
