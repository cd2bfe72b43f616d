package org.dapstream.ops;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

/**
 * For the ITs: the packaged jar runs in normal mode, where {@code quarkus.management.test-port}
 * does not apply, and the test launcher learns only the main HTTP port from the log. So the
 * test picks a free management port, hands it to the jar, and tells {@link Management}.
 * (A port freed and then taken again has a small race; acceptable for a test.)
 */
public class ManagementPortResource implements QuarkusTestResourceLifecycleManager {
    static final String PROPERTY = "dap.test.management-port";

    @Override
    public Map<String, String> start() {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.setProperty(PROPERTY, String.valueOf(port));
        return Map.of("quarkus.management.port", String.valueOf(port), "quarkus.management.host", "127.0.0.1");
    }

    @Override
    public void stop() {
        System.clearProperty(PROPERTY);
    }
}
