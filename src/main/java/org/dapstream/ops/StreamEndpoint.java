package org.dapstream.ops;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.admission.StreamCaps;
import org.dapstream.cluster.LinkRefusal;
import org.dapstream.compress.CompressionGoal;
import org.dapstream.compress.Lz4Payload;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.files.FileIo;
import org.dapstream.files.FileService;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.service.HttpService;
import org.dapstream.service.ServiceLimits;
import org.dapstream.service.ServiceUpstreams;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.ChannelService;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.FrameTrace;
import org.dapstream.stream.RateLimit;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.eclipse.microprofile.config.ConfigProvider;

import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Starts the TCP stream endpoint with the application (the seed's {@code dap_stream_init})
 * and stops it at shutdown ({@code dap_stream_deinit}). Channel services are the built-in
 * echo and discard plus every CDI bean implementing {@link ChannelService}; applications
 * may also register services programmatically on {@link #services()}.
 */
@ApplicationScoped
public class StreamEndpoint {
    private static final System.Logger LOG = System.getLogger(StreamEndpoint.class.getName());
    /** How long start-up waits for the port to bind before failing the application. */
    static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long shutdown waits for the server to end its streams (GOING_AWAY), stop listening and
     * close its handshake workers; past it the application exits anyway, so a stuck peer cannot
     * hold the process.
     */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Key id of a ticket key from {@code dap.stream.session.ticket-key}. */
    static final byte CONFIGURED_TICKET_KEY = 1;
    /** Key id of the random key of a node with no ticket key configured. */
    static final byte PROCESS_TICKET_KEY = 0;
    /** Quarkus's HTTP port when none is configured. */
    static final int DEFAULT_HTTP_PORT = 8080;

    private final ChannelRegistry services = ChannelRegistry.withDiagnostics();
    private final Sessions sessions = new Sessions();
    private final StreamCounters counters = new StreamCounters();
    private volatile StreamServer server;
    private volatile NodeIdentity identity;
    private volatile NodeAddress node;
    private volatile boolean enabled = true;
    private volatile boolean started;
    private volatile StreamConfig streamConfig;
    private volatile FileIo fileIo;
    private volatile HttpService httpService;

    void onStart(@Observes StartupEvent event, Vertx vertx, StreamServerConfig config, @Any Instance<ChannelService> beans,
                 ClusterEndpoint cluster) {
        FrameTrace.enable(config.debugMore());
        for (ChannelService service : beans) {
            services.register(service);
        }
        services.register(new LinkRefusal()); // links run on the cluster port: a LINK here gets a specific refusal
        config.file().directory().ifPresent(dir -> services.register(fileService(config.file(), dir)));
        if (config.service().enabled()) {
            httpService = httpService(config.service());
            services.register(httpService);
        }
        if (!config.tcp().enabled()) {
            enabled = false;
            this.started = true;
            LOG.log(System.Logger.Level.INFO, "stream endpoint disabled (dap.stream.tcp.enabled=false)");
            return;
        }
        SecureRandom random = new SecureRandom();
        StreamSecurity security = null;
        // Admission applies to plaintext setup too: an idle connection costs the same either way.
        HandshakeGate gate = NodeSecurity.gate(config.security());
        StreamCaps caps = ConfigErrors.settings()
                .with("maxStreams", "dap.stream.max-streams", config.maxStreams())
                .with("maxPerAddress", "dap.stream.max-streams-per-address", config.maxStreamsPerAddress())
                .build(() -> new StreamCaps(config.maxStreams(), config.maxStreamsPerAddress()));
        NodeAddress node;
        if (config.security().enabled()) {
            identity = NodeSecurity.loadIdentity(config.security(), random);
            boolean resumes = config.session().acknowledgements() && config.session().resumption();
            security = NodeSecurity.streamSecurity(config.security(), identity, random,
                    (config.session().acknowledgements() ? Features.ACKS : 0) | (resumes ? Features.RESUMPTION : 0));
            if (resumes) {
                sessions.enableResumption(resumption(config.session(), random));
            }
            node = identity.address();
        } else {
            LOG.log(System.Logger.Level.WARNING, "security disabled (dap.stream.security.enabled=false): streams are plaintext and unauthenticated");
            node = config.nodeAddress().map(StreamEndpoint::nodeAddress).orElseGet(() -> new NodeAddress(random.nextLong()));
        }
        cluster.prepare(node, services); // CLUSTER channels are served from the first stream on
        StreamServerConfig.Flow f = config.flow();
        RateLimit streamRate = ConfigErrors.settings()
                .with("bytesPerSecond", "dap.stream.flow.stream-rate.bytes-per-second", f.streamRate().bytesPerSecond())
                .with("framesPerSecond", "dap.stream.flow.stream-rate.frames-per-second", f.streamRate().framesPerSecond())
                .build(() -> new RateLimit(f.streamRate().bytesPerSecond(), f.streamRate().framesPerSecond()));
        RateLimit channelRate = ConfigErrors.settings()
                .with("bytesPerSecond", "dap.stream.flow.channel-rate.bytes-per-second", f.channelRate().bytesPerSecond())
                .with("framesPerSecond", "dap.stream.flow.channel-rate.frames-per-second", f.channelRate().framesPerSecond())
                .build(() -> new RateLimit(f.channelRate().bytesPerSecond(), f.channelRate().framesPerSecond()));
        CompressionGoal goal = compressionGoal(f.compressionGoal());
        FlowConfig flow = ConfigErrors.settings()
                .with("channelWindow", "dap.stream.flow.channel-window", f.channelWindow())
                .with("streamWindow", "dap.stream.flow.stream-window", f.streamWindow())
                .with("channelSendBuffer", "dap.stream.flow.channel-send-buffer", f.channelSendBuffer())
                .with("maxMessageSize", "dap.stream.flow.max-message-size", f.maxMessageSize())
                .with("maxReassemblyBytes", "dap.stream.flow.max-reassembly-bytes", f.maxReassemblyBytes())
                .with("reassemblyTimeout", "dap.stream.flow.reassembly-timeout", f.reassemblyTimeout())
                .with("maxChannelWindow", "dap.stream.flow.max-channel-window", f.maxChannelWindow())
                .with("maxStreamWindow", "dap.stream.flow.max-stream-window", f.maxStreamWindow())
                .build(() -> new FlowConfig(f.channelWindow(), f.streamWindow(), f.channelSendBuffer(), f.maxMessageSize(),
                        f.maxReassemblyBytes(), f.reassemblyTimeout(), streamRate, channelRate, f.compression(),
                        f.maxChannelWindow(), f.maxStreamWindow(), goal));
        StreamConfig streamConfig = ConfigErrors.settings()
                .with("max frame payload", "dap.stream.max-frame-payload", config.maxFramePayload())
                .with("keepAliveInterval", "dap.stream.keepalive.interval", config.keepalive().interval())
                .with("keepAliveTimeout", "dap.stream.keepalive.timeout", config.keepalive().timeout())
                .with("setupTimeout", "dap.stream.setup-timeout", config.setupTimeout())
                .with("frameTimeout", "dap.stream.frame-timeout", config.frameTimeout())
                .with("maxChannels", "dap.stream.max-channels", config.maxChannels())
                .with("writeHighWater", "dap.stream.write-high-water", config.writeHighWater())
                .with("outputBudget", "dap.stream.output-budget", config.outputBudget())
                .with("outputStallTimeout", "dap.stream.output-stall-timeout", config.outputStallTimeout())
                .build(() -> new StreamConfig(config.maxFramePayload(), config.keepalive().interval(),
                        config.keepalive().timeout(), config.setupTimeout(), config.maxChannels(),
                        config.writeHighWater(), flow, config.frameTimeout(), config.outputBudget(), config.outputStallTimeout(),
                        config.session().storeBytes()));
        this.streamConfig = streamConfig;
        StreamSecurity secured = security;
        StreamServerOptions options = ConfigErrors.settings()
                .with("port", "dap.stream.tcp.port", config.tcp().port())
                .with("instances", "dap.stream.tcp.instances", config.tcp().instances())
                .build(() -> new StreamServerOptions(config.tcp().host(), config.tcp().port(),
                        config.tcp().instances(), streamConfig, node, secured, gate, caps));
        StreamServer started = new StreamServer(vertx, options, services, sessions, counters);
        bind(started, options);
        server = started;
        this.node = node;
        this.started = true;
        LOG.log(System.Logger.Level.INFO, "DAP Stream node " + node + " listening on " + options.host() + ":" + started.port()
                + " (" + options.effectiveInstances() + " event loops, " + (security == null ? "PLAINTEXT"
                : "secure, auth " + security.handshake().peerPolicy().describe()) + "; compression "
                + (flow.compression() ? "offered, " + Lz4Payload.implementation() : "off") + ")");
        // Which channel types peers may open here, and which class serves each (CDI beans named
        // without their client-proxy suffix).
        LOG.log(System.Logger.Level.INFO, "channel services: " + services.registered().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().getClass().getName().replaceFirst(".*\\.", "").replaceFirst("_ClientProxy$", ""))
                .collect(Collectors.joining(", ")));
    }

    /** How sessions resume here: the ticket key (configured, or random for this process), expiry and ticket lifetime. */
    private static SessionResumption resumption(StreamServerConfig.SessionSettings session, SecureRandom random) {
        byte[] key;
        byte keyId;
        if (session.ticketKey().isPresent()) {
            try {
                key = Base64.getDecoder().decode(session.ticketKey().get().trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dap.stream.session.ticket-key: not base64: " + e.getMessage(), e);
            }
            if (key.length != TicketSealer.KEY_SIZE) {
                throw new IllegalArgumentException("dap.stream.session.ticket-key: " + key.length + " bytes; a ticket key is "
                        + TicketSealer.KEY_SIZE + " bytes (e.g. head -c 32 /dev/urandom | base64)");
            }
            keyId = CONFIGURED_TICKET_KEY;
        } else {
            key = new byte[TicketSealer.KEY_SIZE];
            random.nextBytes(key);
            keyId = PROCESS_TICKET_KEY;
        }
        TicketSealer sealer = new TicketSealer(keyId, key, keyId, null, random);
        Arrays.fill(key, (byte) 0);
        return ConfigErrors.settings()
                .with("expiry", "dap.stream.session.expiry", session.expiry())
                .with("ticketLifetime", "dap.stream.session.ticket-lifetime", session.ticketLifetime())
                .build(() -> new SessionResumption(sealer, session.expiry(), session.ticketLifetime()));
    }

    /** FILE channels on {@code dir}, which must be a writable directory (created if missing). */
    private FileService fileService(StreamServerConfig.FileSettings file, String dir) {
        Path root = Path.of(dir).toAbsolutePath();
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IllegalArgumentException("dap.stream.file.directory=" + dir + ": cannot create it: " + e.getMessage(), e);
        }
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            throw new IllegalArgumentException("dap.stream.file.directory=" + dir + ": not a writable directory");
        }
        if (file.ioThreads() < 1) {
            throw new IllegalArgumentException("dap.stream.file.io-threads=" + file.ioThreads() + ": must be at least 1");
        }
        fileIo = new FileIo(file.ioThreads());
        LOG.log(System.Logger.Level.INFO, "FILE channels on " + root);
        return new FileService(root, fileIo, file.overwrite(), file.maxFileBytes());
    }

    /** SERVICE channels: HTTP over a stream to this node's routes and the allow-listed upstreams. */
    private static HttpService httpService(StreamServerConfig.ServiceSettings service) {
        ServiceUpstreams upstreams = ConfigErrors.settings()
                .with("upstreams", "dap.stream.service.upstreams", service.upstreams().orElse(List.of()))
                .with("node-url", "dap.stream.service.node-url", service.nodeUrl().orElse(""))
                .build(() -> {
                    Supplier<URI> node = StreamEndpoint::ownHttpServer;
                    if (service.nodeUrl().isPresent()) {
                        URI fixed = URI.create(service.nodeUrl().get());
                        node = () -> fixed;
                    }
                    return new ServiceUpstreams(node, ServiceUpstreams.parse(service.upstreams().orElse(List.of())));
                });
        ServiceLimits limits = ConfigErrors.settings()
                .with("maxRequestsPerChannel", "dap.stream.service.max-requests-per-channel", service.maxRequestsPerChannel())
                .with("maxHeaderBytes", "dap.stream.service.max-header-bytes", service.maxHeaderBytes())
                .with("connectTimeout", "dap.stream.service.connect-timeout", service.connectTimeout())
                .with("idleTimeout", "dap.stream.service.idle-timeout", service.idleTimeout())
                .with("maxConnectionsPerUpstream", "dap.stream.service.max-connections-per-upstream", service.maxConnectionsPerUpstream())
                .build(() -> new ServiceLimits(service.maxRequestsPerChannel(), service.maxHeaderBytes(), service.connectTimeout(),
                        service.idleTimeout(), service.maxConnectionsPerUpstream()));
        LOG.log(System.Logger.Level.INFO, "SERVICE channels: the node's routes and upstreams " + upstreams.names());
        return new HttpService(upstreams, limits);
    }

    /**
     * This node's HTTP server on loopback, asked at each request: the port is known once the
     * server listens (a random port in tests).
     */
    private static URI ownHttpServer() {
        String key = LaunchMode.current() == LaunchMode.TEST ? "quarkus.http.test-port" : "quarkus.http.port";
        // Quarkus publishes the port it bound (a random one for port 0) as a system property once it listens.
        String bound = System.getProperty(key);
        int port = bound != null ? Integer.parseInt(bound) : ConfigProvider.getConfig().getOptionalValue(key, Integer.class).orElse(DEFAULT_HTTP_PORT);
        return URI.create("http://127.0.0.1:" + port);
    }

    void onStop(@Observes ShutdownEvent event) {
        FileIo io = fileIo;
        if (io != null) {
            io.close();
        }
        HttpService http = httpService;
        if (http != null) {
            http.close();
        }
        StreamServer s = server;
        if (s != null) {
            s.stop().toCompletionStage().toCompletableFuture().orTimeout(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> null).join();
        }
        NodeIdentity id = identity;
        if (id != null) {
            id.close(); // wipes the private key
        }
    }

    /** This node's identity, null when security is disabled (or before start). */
    public NodeIdentity identity() {
        return identity;
    }

    /** Limits and timers of this node's streams, null before start (or when disabled). */
    public StreamConfig streamConfig() {
        return streamConfig;
    }

    /** The running server, null when the endpoint is disabled. */
    public StreamServer server() {
        return server;
    }

    /** This node's address once the endpoint started with it, null before (or when disabled). */
    public NodeAddress node() {
        return node;
    }

    /** False when configuration disabled the endpoint ({@code dap.stream.tcp.enabled=false}). */
    public boolean enabled() {
        return enabled;
    }

    /** True once start-up is over: the endpoint is bound, or disabled by configuration. */
    public boolean started() {
        return started;
    }

    public ChannelRegistry services() {
        return services;
    }

    public Sessions sessions() {
        return sessions;
    }

    public StreamCounters counters() {
        return counters;
    }

    /**
     * Starts {@code server}; a port already in use fails with one line naming the port, its key
     * and what to do, instead of a bare {@code BindException} under the whole start-up trace.
     */
    static void bind(StreamServer server, StreamServerOptions options) {
        try {
            server.start().toCompletionStage().toCompletableFuture().orTimeout(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
        } catch (CompletionException e) {
            if (addressInUse(e)) {
                throw new IllegalStateException("dap.stream.tcp.port=" + options.port() + ": address " + options.host() + ":"
                        + options.port() + " is already in use (another node or program is listening there; pick another port or stop it)",
                        e.getCause());
            }
            throw e;
        }
    }

    /** A bind refused because the address is taken: a {@link BindException}, or Netty's native transport saying so. */
    private static boolean addressInUse(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    /** {@code dap.stream.node-address} of a plaintext node. */
    static NodeAddress nodeAddress(String value) {
        return ConfigErrors.settings().with("address", "dap.stream.node-address", value).build(() -> NodeAddress.parse(value));
    }

    static CompressionGoal compressionGoal(String value) {
        try {
            return CompressionGoal.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dap.stream.flow.compression-goal=" + value + ": " + e.getMessage(), e);
        }
    }
}
