package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link AdminApiTest} against the packaged jar. */
@QuarkusIntegrationTest
public class AdminApiIT extends AdminApiTest {
}
