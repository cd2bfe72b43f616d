package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link AdminOpenApiTest} against the packaged jar. */
@QuarkusIntegrationTest
public class AdminOpenApiIT extends AdminOpenApiTest {
}
