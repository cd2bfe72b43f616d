package org.dapstream.ops;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link HealthTest} against the packaged jar. */
@QuarkusIntegrationTest
@WithTestResource(ManagementPortResource.class)
public class HealthIT extends HealthTest {
}
