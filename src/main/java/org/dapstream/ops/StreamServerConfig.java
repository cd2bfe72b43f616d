package org.dapstream.ops;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Configuration of the stream endpoint, prefix {@code dap.stream}. Each default here is the
 * one documented in docs/OPERATIONS.md.
 */
@ConfigMapping(prefix = "dap.stream")
public interface StreamServerConfig {
    Tcp tcp();

    WebSocket websocket();

    KeepAliveSettings keepalive();

    DrainSettings drain();

    /** Stream setup must finish within this long of connecting. */
    @WithDefault("5s")
    Duration setupTimeout();

    /** Largest received frame payload accepted (64 KiB + 256 B transform overhead; hard cap 16 MiB). */
    @WithDefault("65792")
    int maxFramePayload();

    /** Channels open at once on one stream. */
    @WithDefault("1024")
    int maxChannels();

    /** A frame begun after setup must be complete within this long, however steadily its bytes arrive (TRUNCATED_FRAME). */
    @WithDefault("10s")
    Duration frameTimeout();

    /** Connections open at once on this node, set up or not; more are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("10000")
    int maxStreams();

    /** Connections open at once from one remote address; more are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("1000")
    int maxStreamsPerAddress();

    Flow flow();

    /** Bytes written from other threads and not yet on the loop before {@code write} reports back-pressure. */
    @WithDefault("1048576")
    int writeHighWater();

    /**
     * Bytes one stream may have queued for its peer (replies, pongs, rejects, data) before its
     * connection is no longer read until the peer reads them down (docs/OPERATIONS.md, "Output budget").
     */
    @WithDefault("4194304")
    int outputBudget();

    /** A stream over its output budget this long, its peer not reading, ends with OUTPUT_STALLED. */
    @WithDefault("10s")
    Duration outputStallTimeout();

    /** Per-frame debug tracing at start (the seed's {@code g_dap_stream_debug_more}); switchable at run time. */
    @WithDefault("false")
    boolean debugMore();

    /**
     * The node address a plaintext node (security disabled) announces, {@code XXXX::XXXX::XXXX::XXXX};
     * random per start when absent. A secure node's address is its identity's and this key is ignored.
     */
    Optional<String> nodeAddress();

    Security security();

    /** FILE channels: the directory clients put files into and get files from (docs/OPERATIONS.md, "File transfer"). */
    FileSettings file();

    interface FileSettings {
        /** The directory; absent: FILE channels are not served (OPEN_REJECT UNSUPPORTED_CHANNEL_TYPE). */
        Optional<String> directory();

        /** Whether a put may replace a file that exists. */
        @WithDefault("false")
        boolean overwrite();

        /** Largest file a client may put (1 TiB by default). */
        @WithDefault("1099511627776")
        long maxFileBytes();

        /** Threads that read and write transfers' files. */
        @WithDefault("2")
        int ioThreads();
    }

    /** SERVICE channels: HTTP over a stream to the node's own routes and allow-listed upstreams (docs/OPERATIONS.md, "HTTP over a stream"). */
    ServiceSettings service();

    interface ServiceSettings {
        /** Whether SERVICE channels are served; false: OPEN_REJECT UNSUPPORTED_CHANNEL_TYPE. */
        @WithDefault("true")
        boolean enabled();

        /** The allow-list: {@code name=http://host:port} entries; a request names one by its authority. None by default. */
        Optional<List<String>> upstreams();

        /** The node's own HTTP routes (authority {@code node}); absent: http://127.0.0.1 and the HTTP port this node listens on. */
        Optional<String> nodeUrl();

        /** Requests under way at once on one channel; more get SERVICE_REQUEST_LIMIT. */
        @WithDefault("64")
        int maxRequestsPerChannel();

        /** Largest request head (method, target and header fields, encoded); larger gets SERVICE_HEADERS_TOO_LARGE. */
        @WithDefault("16384")
        int maxHeaderBytes();

        /** How long a connection to an upstream may take. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** How long an upstream request may go without a byte of its response. */
        @WithDefault("30s")
        Duration idleTimeout();

        /** HTTP/1.1 connections kept to each upstream; requests beyond wait for one. */
        @WithDefault("32")
        int maxConnectionsPerUpstream();
    }

    /** Sessions: acknowledgements and the store of unacknowledged messages (docs/OPERATIONS.md, "Acknowledgements"). */
    SessionSettings session();

    interface SessionSettings {
        /** Whether this node agrees acknowledgements when a client offers them (the ACKS feature). */
        @WithDefault("true")
        boolean acknowledgements();

        /** Bytes of written, unacknowledged messages one session keeps before its writers wait (at least 262144). */
        @WithDefault("16777216")
        int storeBytes();

        /** Whether this node agrees session resumption when a client offers it (the RESUMPTION feature; needs acknowledgements). */
        @WithDefault("true")
        boolean resumption();

        /** How long a session whose connection is lost waits to be resumed before its channels close and its memory is freed. */
        @WithDefault("60s")
        Duration expiry();

        /** How long a resumption ticket is good for (at least the expiry). */
        @WithDefault("24h")
        Duration ticketLifetime();

        /** The key tickets are sealed with, 32 bytes in base64; unset: a random key per process (a restarted node resumes nothing). */
        Optional<String> ticketKey();
    }

    /** The node cluster: discovery of the other replicas, links to them, named clusters (docs/OPERATIONS.md, "Clusters"). */
    ClusterSettings cluster();

    interface ClusterSettings {
        /** How members are found: {@code static} (the members list) or {@code kubernetes} (the members Service's EndpointSlices). */
        @WithDefault("static")
        String discovery();

        /** Static discovery: the other members' cluster endpoints, {@code host:port}; absent: this node alone. */
        Optional<List<String>> members();

        /** Port this node accepts cluster links on (bound only when there are other members); 0 picks a free one. */
        @WithDefault("8078")
        int port();

        /** Address the cluster port binds; absent: {@code dap.stream.tcp.host}. */
        Optional<String> host();

        /**
         * The host other members and clients reach this node at (its pod IP on Kubernetes); absent: the bound
         * host when it is not a wildcard, else this machine's address. Used to recognise this node in the
         * member list and to name it as the alternate in GOAWAY.
         */
        Optional<String> advertiseHost();

        /** Balanced delivery of a named cluster: {@code round-robin}, {@code least-loaded} or {@code hash} (of the message key). */
        @WithDefault("round-robin")
        String balancer();

        /** Member sessions of named clusters: what happens to one that reads too slowly ({@code gap}: report what it missed, {@code disconnect}: end its channel with SLOW_CONSUMER). */
        @WithDefault("gap")
        String slowMember();

        /** Named clusters one session (one CLUSTER channel) may be a member of at once; more joins are refused. */
        @WithDefault("64")
        int maxJoinsPerChannel();

        /** Named clusters all CLUSTER channels of one stream may be members of at once; more joins are refused. */
        @WithDefault("256")
        int maxJoinsPerStream();

        /** Named clusters with an allow-list: {@code dap.stream.cluster.allow."NAME"=ADDR,ADDR}; a cluster not listed admits any authenticated session. */
        Map<String, List<String>> allow();

        /** How often a node tells its links its session and stream counts. */
        @WithDefault("1s")
        Duration loadInterval();

        Link link();

        /** Spreading client sessions over the members after one joins. */
        Rebalance rebalance();

        KubernetesDiscovery kubernetes();
    }

    interface Rebalance {
        /** Whether a member sheds the sessions it holds above its share to members below theirs. */
        @WithDefault("true")
        boolean enabled();

        /** How often loads are compared; also how long the set of members must stay the same before anything moves. */
        @WithDefault("5s")
        Duration interval();

        /** The fraction of the fair share a member may hold above it before it sheds (at least one session). */
        @WithDefault("0.05")
        double slack();

        /** Sessions a member moves per second at most. */
        @WithDefault("100")
        int rate();
    }

    interface Link {
        /** First reconnect delay of a link (full jitter: a random delay up to it). */
        @WithDefault("100ms")
        Duration backoffInitial();

        /** Reconnect delays double up to this cap (full jitter below it). */
        @WithDefault("5s")
        Duration backoffMax();

        /** A link pings when nothing was written on it for this long (its own, apart from client streams' dap.stream.keepalive.*). */
        @WithDefault("1s")
        Duration keepaliveInterval();

        /** A link silent this long is down: how soon a crashed or frozen member leaves every view. */
        @WithDefault("3s")
        Duration keepaliveTimeout();

        /** A link whose peer gives no credit this long while messages wait is failed (OUTPUT_STALLED) and dialled again. */
        @WithDefault("30s")
        Duration stallTimeout();
    }

    interface KubernetesDiscovery {
        /** The headless Service whose EndpointSlices list the members. */
        @WithDefault("dap-stream-members")
        String service();

        /** Namespace of that Service; absent: the pod's own (its service account's). */
        Optional<String> namespace();

        /** Name of the Service port that is the cluster port. */
        @WithDefault("cluster")
        String portName();
    }

    /** Flow control, fragmentation, rate limits and compression (docs/OPERATIONS.md, "Flow control"). */
    interface Flow {
        /** Receive window per channel: bytes a peer may send that the application has not consumed. At least 1 MiB (the protocol's initial window). */
        @WithDefault("1048576")
        int channelWindow();

        /** Receive window of a whole stream, all channels. At least 4 MiB (the protocol's initial window). */
        @WithDefault("4194304")
        int streamWindow();

        /**
         * Largest a channel's window grows to while its application consumes half of it within
         * 100 ms; 0 (the default): no growth; else at least channel-window.
         */
        @WithDefault("0")
        long maxChannelWindow();

        /** Largest the stream window grows to the same way; 0 (the default): no growth; else at least stream-window. */
        @WithDefault("0")
        long maxStreamWindow();

        /** Bytes queued on one channel before write reports back-pressure (MEDIA: drops its oldest beyond it). */
        @WithDefault("1048576")
        int channelSendBuffer();

        /** Largest message written or reassembled (64 KiB..1 GiB); larger than 64 KiB travels as fragments. */
        @WithDefault("16777216")
        int maxMessageSize();

        /** Bytes of partly received fragmented messages one stream may hold, all channels together. */
        @WithDefault("67108864")
        int maxReassemblyBytes();

        /** A fragmented message that gets no fragment for this long ends the stream with REASSEMBLY_TIMEOUT. */
        @WithDefault("30s")
        Duration reassemblyTimeout();

        /** Offer adaptive LZ4 compression on channels this node opens (never by default on SECURITY channels). */
        @WithDefault("true")
        boolean compression();

        /**
         * What compression optimises while a channel's writer is held back: {@code throughput}
         * (compress only while trials show it moves more payload per second than raw) or
         * {@code bytes} (compress every frame that shrinks, for metered links).
         */
        @WithDefault("throughput")
        String compressionGoal();

        /** Send rate limit of each stream, all channels. */
        Rate streamRate();

        /** Send rate limit of each channel. */
        Rate channelRate();
    }

    interface Rate {
        /** Frame bytes per second; 0: no limit. */
        @WithDefault("0")
        long bytesPerSecond();

        /** Frames per second; 0: no limit. */
        @WithDefault("0")
        long framesPerSecond();
    }

    interface Security {
        /** Secure handshake and encrypted frames on every stream. Off only for benchmarks of the bare engine and debugging. */
        @WithDefault("true")
        boolean enabled();

        Identity identity();

        /** AEAD suites accepted, most preferred first: aes-256-gcm, chacha20-poly1305. */
        @WithDefault("aes-256-gcm,chacha20-poly1305")
        List<String> suites();

        /** Who may connect: open (any client; the server is still authenticated), allow-list, cluster-signed. */
        @WithDefault("open")
        String auth();

        /** With auth=allow-list: the node addresses admitted. */
        Optional<List<String>> allow();

        Cluster cluster();

        Handshake handshake();

        Rekey rekey();
    }

    interface Identity {
        /** PEM PKCS#8 file of this node's signing key; created on first start when missing. On Kubernetes, mount it from a Secret. */
        @WithDefault("dap-stream-identity.pem")
        String file();

        /** Algorithm of a newly created identity: ml-dsa-65 or ed25519. */
        @WithDefault("ml-dsa-65")
        String algorithm();

        /**
         * Whether a missing directory of {@link #file()} is created (with a new identity in it).
         * Off, so a typo in the path fails start-up instead of silently changing the node address.
         */
        @WithDefault("false")
        boolean createDirectories();
    }

    interface Cluster {
        /**
         * PEM PKCS#8 file of the cluster key. When set, this node endorses its own identity with it at
         * start (replicas whose keys are generated at start), and auth=cluster-signed trusts its public key.
         */
        Optional<String> keyFile();

        /** The cluster public key for nodes that only verify: {@code ml-dsa-65:HEX} or {@code ed25519:HEX}. */
        Optional<String> publicKey();
    }

    interface Handshake {
        /** Streams in setup at once on this node (also on plaintext nodes); more are refused with HANDSHAKE_BUSY. */
        @WithDefault("256")
        int maxConcurrent();

        /** Streams in setup at once from one remote address. */
        @WithDefault("32")
        int maxPerAddress();

        /** Streams in setup at once from one IPv4 /24 or IPv6 /64; at least max-per-address. */
        @WithDefault("64")
        int maxPerPrefix();

        /**
         * A connection must deliver its first complete frame within this long, or it ends with
         * SETUP_TIMEOUT; until then its slot may go to a newer connection when a cap is full.
         */
        @WithDefault("1s")
        Duration firstFrameTimeout();

        /** Threads the handshakes' signing, key exchange and verification run on, off the event loops; 0 = half the processors (at least 1). */
        @WithDefault("0")
        int workers();

        /** Handshake steps that may wait for a worker; a handshake that finds the queue full is refused with HANDSHAKE_BUSY. */
        @WithDefault("256")
        int workQueue();
    }

    interface Rekey {
        /** Frames sealed under one key before the sender moves to the next epoch (below 2^32). */
        @WithDefault("2147483648")
        long frames();

        /** Payload bytes sealed under one key before the sender moves to the next epoch (64 GiB). */
        @WithDefault("68719476736")
        long bytes();
    }

    interface Tcp {
        /** Address the stream endpoint binds. */
        @WithDefault("0.0.0.0")
        String host();

        /** Port of the stream endpoint; 0 picks a free one. */
        @WithDefault("8079")
        int port();

        /** Acceptor instances (event loops serving streams); 0 = one per processor. */
        @WithDefault("0")
        int instances();

        /** Start the endpoint with the application. */
        @WithDefault("true")
        boolean enabled();
    }

    /** Streams over WebSocket on the HTTP port (8080), through the stream endpoint's admission (docs/OPERATIONS.md, "WebSocket"). */
    interface WebSocket {
        /** Serve streams over WebSocket at {@link #path()}; needs the stream endpoint ({@code dap.stream.tcp.enabled}). */
        @WithDefault("true")
        boolean enabled();

        /** The HTTP path of the WebSocket upgrade. */
        @WithDefault("/stream")
        String path();

        /** Largest WebSocket message (its fragments together) and frame accepted; at least 65536. */
        @WithDefault("1048576")
        int maxMessageSize();
    }

    interface KeepAliveSettings {
        /** A ping goes out when nothing was written for this long. */
        @WithDefault("1s")
        Duration interval();

        /** The seed's STREAM_KEEPALIVE_TIMEOUT: a stream silent this long is closed. */
        @WithDefault("3s")
        Duration timeout();
    }

    /**
     * The graceful drain at shutdown (SIGTERM). Its worst case, the optional
     * {@code quarkus.shutdown.delay} + grace period + close timeout, must fit inside the pod's
     * {@code terminationGracePeriodSeconds} (k8s/: 5 s + 20 s + 3 s within 30 s).
     */
    interface DrainSettings {
        /** How long peers told GOAWAY have to finish and close before this node closes their streams. */
        @WithDefault("20s")
        Duration gracePeriod();

        /** After the grace period: how long a peer has to answer CLOSE GOING_AWAY before ERROR ends its stream. */
        @WithDefault("3s")
        Duration closeTimeout();

        /** Another member, {@code host:port}, named in GOAWAY for peers to use; none when absent. */
        Optional<String> alternate();
    }
}
