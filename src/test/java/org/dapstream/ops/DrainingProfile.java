package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * An application of its own for the drain test: a drain is never undone, so the node it
 * drains must not be the one other test classes share.
 */
public class DrainingProfile implements QuarkusTestProfile {
}
