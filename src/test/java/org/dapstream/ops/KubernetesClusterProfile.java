package org.dapstream.ops;

import io.quarkus.test.junit.QuarkusTestProfile;
import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.SignatureAlgorithm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;

/**
 * A node with Kubernetes discovery against the test's mock API server: namespace {@link #NAMESPACE},
 * the default members Service, a cluster key generated under target/, a free cluster port.
 */
public class KubernetesClusterProfile implements QuarkusTestProfile {
    static final String NAMESPACE = "dap";
    static final Path CLUSTER_KEY = Path.of("target/test-cluster-key.pem");

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            IdentityFile.loadOrCreate(CLUSTER_KEY, SignatureAlgorithm.ED25519, new SecureRandom()).close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("dap.stream.cluster.discovery", "kubernetes",
                "dap.stream.cluster.kubernetes.namespace", NAMESPACE,
                "dap.stream.cluster.port", "0",
                "dap.stream.security.cluster.key-file", CLUSTER_KEY.toString());
    }
}
