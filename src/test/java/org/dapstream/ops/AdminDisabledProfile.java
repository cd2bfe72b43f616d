package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** No admin token configured (an empty value is no value). */
public class AdminDisabledProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("dap.stream.admin.token", "");
    }
}
