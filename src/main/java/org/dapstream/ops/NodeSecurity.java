package org.dapstream.ops;

import org.dapstream.admission.HandshakeGate;
import org.dapstream.crypto.AeadSuite;
import org.dapstream.crypto.AuthPolicy;
import org.dapstream.crypto.Endorsement;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.StreamSecurity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns the {@code dap.stream.security.*} keys into the node's identity, handshake settings
 * and caps. Every bad value fails start-up with a message naming the key and what to fix.
 */
final class NodeSecurity {
    private static final System.Logger LOG = System.getLogger(NodeSecurity.class.getName());

    private NodeSecurity() {
    }

    /** The key naming the identity file, in every message about it. */
    static final String IDENTITY_FILE_KEY = "dap.stream.security.identity.file";
    /** The key that allows creating the identity file's missing directories. */
    static final String CREATE_DIRECTORIES_KEY = "dap.stream.security.identity.create-directories";

    /** The loaded (or newly created) identity; logs its address and file, never the key. */
    static NodeIdentity loadIdentity(StreamServerConfig.Security config, SecureRandom random) {
        SignatureAlgorithm alg = parse("dap.stream.security.identity.algorithm", () -> SignatureAlgorithm.parse(config.identity().algorithm()));
        return loadIdentity(Path.of(config.identity().file()), alg, config.identity().createDirectories(), random);
    }

    /**
     * The identity in {@code file}, or a new one written there. Missing directories are created
     * only when {@code createDirectories}: a typo in the path would otherwise give the node a new
     * identity, and so a new address, without anyone noticing.
     */
    static NodeIdentity loadIdentity(Path file, SignatureAlgorithm alg, boolean createDirectories, SecureRandom random) {
        try {
            if (Files.exists(file)) {
                NodeIdentity identity = IdentityFile.load(file);
                LOG.log(System.Logger.Level.INFO, "loaded node identity " + identity.address() + " ("
                        + identity.algorithm().configName() + ") from " + file.toAbsolutePath());
                return identity;
            }
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                if (!createDirectories) {
                    throw new IllegalStateException(IDENTITY_FILE_KEY + "=" + file + ": directory " + dir + " does not exist (check the "
                            + "path for a typo; to create it and a new identity there, create the directory or set "
                            + CREATE_DIRECTORIES_KEY + "=true)");
                }
                Files.createDirectories(dir);
            }
            NodeIdentity identity = IdentityFile.loadOrCreate(file, alg, random);
            LOG.log(System.Logger.Level.WARNING, "created a NEW node identity in " + file.toAbsolutePath() + ": address "
                    + identity.address() + " (" + identity.algorithm().configName() + "); later starts load it, so keep the file");
            return identity;
        } catch (IOException e) {
            throw new IllegalStateException(identityError(file, e), e);
        }
    }

    /** What went wrong with the identity file, with the key and what to do. */
    static String identityError(Path file, IOException e) {
        String user = System.getProperty("user.name");
        String prefix = IDENTITY_FILE_KEY + "=" + file + ": ";
        if (e instanceof AccessDeniedException denied) {
            if (Files.exists(file)) {
                Path where = denied.getFile() == null ? file : Path.of(denied.getFile());
                return prefix + "permission denied reading " + where + " (make it readable by user " + user
                        + ", e.g. chown " + user + " and chmod 600, or mount it with that owner)";
            }
            return prefix + "permission denied creating the identity in " + file.toAbsolutePath().getParent() + " (make the directory writable by user " + user
                    + ", or mount an existing identity there)";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null && !Files.exists(file)) {
            return prefix + "cannot create the identity: " + fs.getReason() + " (make the directory writable by user " + user
                    + ", or mount an existing identity there)";
        }
        if (Files.exists(file)) {
            return prefix + e.getMessage() + " (replace it with a PEM file from `keygen`; moving it away makes the node create a NEW "
                    + "identity with a new address)";
        }
        return prefix + e + " (point it at a writable path, or mount an existing identity there)";
    }

    static StreamSecurity streamSecurity(StreamServerConfig.Security config, NodeIdentity identity, SecureRandom random, int features) {
        List<AeadSuite> suites = config.suites().stream()
                .map(name -> parse("dap.stream.security.suites", () -> AeadSuite.parse(name))).toList();
        NodeIdentity clusterKey = config.cluster().keyFile().map(NodeSecurity::loadClusterKey).orElse(null);
        byte[] endorsement = null;
        if (clusterKey != null) {
            endorsement = Endorsement.issue(clusterKey, identity.algorithm(), identity.publicKey(), Endorsement.NO_EXPIRY).encode();
        }
        AuthPolicy policy = policy(config, clusterKey);
        if (clusterKey != null) {
            clusterKey.close(); // its public half lives on in the policy; the private key is no longer needed
        }
        HandshakeSettings settings = new HandshakeSettings(identity, endorsement, suites, features,
                EnumSet.allOf(SignatureAlgorithm.class), policy, null, random);
        HandshakeWorkers workers = ConfigErrors.settings()
                .with("workers", "dap.stream.security.handshake.workers", config.handshake().workers())
                .with("workQueue", "dap.stream.security.handshake.work-queue", config.handshake().workQueue())
                .build(() -> new HandshakeWorkers(config.handshake().workers(), config.handshake().workQueue()));
        return new StreamSecurity(settings, config.rekey().frames(), config.rekey().bytes(), workers);
    }

    /**
     * The handshake of cluster links: this node's identity endorsed by the cluster key, and only
     * endorsed peers admitted (both ends). Needs the cluster key itself, since a node endorses the
     * identity it generated at start.
     */
    static HandshakeSettings linkSettings(StreamServerConfig.Security config, NodeIdentity identity, SecureRandom random) {
        return linkSettings(config.enabled(), config.cluster().keyFile(), config.suites(), identity, random);
    }

    static HandshakeSettings linkSettings(boolean secure, Optional<String> keyFile, List<String> suiteNames, NodeIdentity identity,
                                          SecureRandom random) {
        if (!secure || identity == null) {
            throw new IllegalArgumentException("dap.stream.security.enabled=false: cluster links are always secure; enable security "
                    + "or run this node alone (no dap.stream.cluster.members, dap.stream.cluster.discovery=static)");
        }
        String file = keyFile.filter(f -> !f.isBlank()).orElseThrow(() -> new IllegalArgumentException(
                "cluster members need the cluster key: set dap.stream.security.cluster.key-file (a PEM file from `keygen`, the same on "
                        + "every member), or run this node alone (no dap.stream.cluster.members, dap.stream.cluster.discovery=static)"));
        try (NodeIdentity clusterKey = loadClusterKey(file)) {
            byte[] endorsement = Endorsement.issue(clusterKey, identity.algorithm(), identity.publicKey(), Endorsement.NO_EXPIRY).encode();
            AuthPolicy members = AuthPolicy.clusterSigned(clusterKey.algorithm(), clusterKey.publicKey());
            List<AeadSuite> suites = suiteNames.stream()
                    .map(name -> parse("dap.stream.security.suites", () -> AeadSuite.parse(name))).toList();
            return new HandshakeSettings(identity, endorsement, suites, 0, EnumSet.allOf(SignatureAlgorithm.class), members, null, random);
        }
    }

    static HandshakeGate gate(StreamServerConfig.Security config) {
        StreamServerConfig.Handshake h = config.handshake();
        return ConfigErrors.settings()
                .with("maxConcurrent", "dap.stream.security.handshake.max-concurrent", h.maxConcurrent())
                .with("maxPerAddress", "dap.stream.security.handshake.max-per-address", h.maxPerAddress())
                .with("the per-prefix cap", "dap.stream.security.handshake.max-per-prefix", h.maxPerPrefix())
                .with("the first-frame timeout", "dap.stream.security.handshake.first-frame-timeout", h.firstFrameTimeout())
                .build(() -> new HandshakeGate(h.maxConcurrent(), h.maxPerAddress(), h.maxPerPrefix(), h.firstFrameTimeout()));
    }

    private static AuthPolicy policy(StreamServerConfig.Security config, NodeIdentity clusterKey) {
        switch (config.auth()) {
            case "open" -> {
                return AuthPolicy.open();
            }
            case "allow-list" -> {
                List<String> listed = config.allow().orElseThrow(() -> new IllegalArgumentException(
                        "dap.stream.security.auth=allow-list needs dap.stream.security.allow (node addresses XXXX::XXXX::XXXX::XXXX)"));
                Set<NodeAddress> addresses = new HashSet<>();
                for (String a : listed) {
                    addresses.add(parse("dap.stream.security.allow", () -> NodeAddress.parse(a.trim())));
                }
                return AuthPolicy.allowList(addresses);
            }
            case "cluster-signed" -> {
                if (clusterKey != null) {
                    return AuthPolicy.clusterSigned(clusterKey.algorithm(), clusterKey.publicKey());
                }
                String pub = config.cluster().publicKey().orElseThrow(() -> new IllegalArgumentException(
                        "dap.stream.security.auth=cluster-signed needs dap.stream.security.cluster.key-file or .public-key"));
                int colon = pub.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("dap.stream.security.cluster.public-key must be ALGORITHM:HEX, e.g. ed25519:3b6a...");
                }
                SignatureAlgorithm alg = parse("dap.stream.security.cluster.public-key", () -> SignatureAlgorithm.parse(pub.substring(0, colon)));
                byte[] key = parse("dap.stream.security.cluster.public-key", () -> HexFormat.of().parseHex(pub.substring(colon + 1).trim()));
                if (key.length != alg.publicKeySize()) {
                    throw new IllegalArgumentException("dap.stream.security.cluster.public-key: an " + alg.configName() + " key is "
                            + alg.publicKeySize() + " bytes, this one is " + key.length);
                }
                return AuthPolicy.clusterSigned(alg, key);
            }
            default -> throw new IllegalArgumentException("dap.stream.security.auth='" + config.auth()
                    + "'; use open, allow-list or cluster-signed");
        }
    }

    private static NodeIdentity loadClusterKey(String file) {
        try {
            return IdentityFile.load(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("dap.stream.security.cluster.key-file=" + file + ": " + e.getMessage(), e);
        }
    }

    private static <T> T parse(String key, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
