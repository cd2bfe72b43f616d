package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link AdminDisabledTest} against the packaged jar. */
@QuarkusIntegrationTest
public class AdminDisabledIT extends AdminDisabledTest {
}
