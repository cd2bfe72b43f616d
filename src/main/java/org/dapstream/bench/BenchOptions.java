package org.dapstream.bench;

import org.dapstream.admission.HandshakeGate;
import org.dapstream.compress.CompressionGoal;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.StreamConfig;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load generator's options, checked (the command line itself is {@link BenchCommand}).
 *
 * @param target      the node to load; null starts an embedded server in this JVM
 * @param connections streams (or raw sockets) opened
 * @param channels    channels per connection, each with its own producer
 * @param size        payload bytes per message
 * @param duration    measured time (ignored when {@code count} is set)
 * @param warmup      time run before measuring, so the JIT and the buffers settle
 * @param count       messages to measure instead of a duration; {@link #NO_COUNT} for none
 * @param rate        messages per second over all channels (broadcast: publishes per second); {@link #UNLIMITED_RATE} for as fast as possible
 * @param workload    one-way throughput or ping-pong latency
 * @param transports  the phases, in the order they run
 * @param serverLoops event loops of the embedded server
 * @param clientLoops event loops of the client
 * @param security    secure streams (the product's default), plaintext ones, or both one after the other
 * @param identity    the signature algorithm of the embedded server's and the client's identities
 * @param payload     what the messages contain (random, JSON text, or the old byte pattern)
 * @param compression whether channels offer compression, or off then on
 * @param linkRate    bytes per second each client stream may put on the wire (its stream rate limit),
 *                    to stand for a network link slower than loopback; {@link #UNLIMITED_RATE} for none
 * @param compressionGoal what the client's compressing channels optimise (the product default: throughput)
 * @param nodes       broadcast mode: member nodes started in this JVM, each with its own ports and identity
 * @param members     broadcast mode: member sessions, spread over the nodes in turn
 * @param inFlight    broadcast mode: messages the publisher may have published beyond what the slowest
 *                    member has received; {@link #AUTO_IN_FLIGHT} derives it from the size,
 *                    {@link #NO_IN_FLIGHT_LIMIT} publishes on the node's back-pressure alone
 * @param acks        whether the client offers acknowledgements, or off then on
 * @param giving      one-way producers give their (unchanging) message array to the stream
 *                    ({@code Channel.give}) instead of writing it ({@code Channel.write}, which copies what it keeps)
 */
public record BenchOptions(Target target, int connections, int channels, int size, Duration duration, Duration warmup,
                           long count, long rate, Workload workload, List<TransportKind> transports,
                           int serverLoops, int clientLoops, Security security, SignatureAlgorithm identity,
                           Payload payload, Compression compression, long linkRate,
                           CompressionGoal compressionGoal, int nodes, int members, long inFlight, Acknowledging acks,
                           boolean giving) {
    public static final int DEFAULT_CONNECTIONS = 1;
    /**
     * Handshake mode's connectors when {@code --connections} is not given: enough to keep both
     * sides' loops busy while some connectors wait on the network, and within the default
     * per-address cap of a node ({@link HandshakeGate#DEFAULT_MAX_PER_ADDRESS}).
     */
    public static final int DEFAULT_HANDSHAKE_CONNECTIONS = 8;
    /**
     * Open-loop handshake mode ({@code --rate}) when {@code --connections} is not given: the
     * most setups in flight at once; a setup due while this many are open is skipped and
     * counted, so a node that cannot keep up shows it instead of slowing the schedule.
     */
    public static final int DEFAULT_OPEN_LOOP_HANDSHAKES = 64;
    public static final SignatureAlgorithm DEFAULT_IDENTITY = SignatureAlgorithm.ML_DSA_65;
    /** More sockets than this from one load generator measure the kernel, not the stream. */
    public static final int MAX_CONNECTIONS = 1024;
    public static final int DEFAULT_CHANNELS = 1;
    /** A stream's default channel limit, so any default-configured node accepts them all. */
    public static final int MAX_CHANNELS = StreamConfig.DEFAULT_MAX_CHANNELS;
    public static final int DEFAULT_SIZE = 64;
    public static final int MIN_SIZE = 1;
    /** One message per frame, so the raw baseline (which does not fragment) carries the same messages. */
    public static final int MAX_SIZE = FrameLimits.DEFAULT_MESSAGE_PAYLOAD;
    /** Ping-pong puts the send time (a u64) in the first bytes of each message. */
    public static final int TIMESTAMP_BYTES = Long.BYTES;
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(2);
    /** Longest duration or warm-up accepted: a day. */
    public static final Duration MAX_DURATION = Duration.ofDays(1);
    public static final long NO_COUNT = 0;
    public static final long UNLIMITED_RATE = 0;
    /** Beyond 100 M msg/s the pacer's 1 ms ticks would each release more than a batch many times over. */
    public static final long MAX_RATE = 100_000_000L;
    /** The brief's default: one event loop on each side, so the figures are per core. */
    public static final int DEFAULT_LOOPS = 1;
    public static final int MAX_LOOPS = 64;
    /** Broadcast mode: three nodes, the smallest cluster in which a message crosses two links. */
    public static final int DEFAULT_NODES = 3;
    /** Every node links to every other one and runs its own loops: beyond 16 the machine, not the cluster, is measured. */
    public static final int MAX_NODES = 16;
    /** Broadcast mode: ten member sessions per node of the default cluster. */
    public static final int DEFAULT_MEMBERS = 30;
    /** Each member is a stream of its own, as a connection is in the other modes. */
    public static final int MAX_MEMBERS = MAX_CONNECTIONS;
    /** {@code --in-flight auto}: {@link #AUTO_IN_FLIGHT_BYTES} worth of messages of the run's size. */
    public static final long AUTO_IN_FLIGHT = -1;
    /** {@code --in-flight off}: the publisher stops only when the node's back-pressure says so. */
    public static final long NO_IN_FLIGHT_LIMIT = 0;
    /**
     * What {@code auto} lets the publisher have in flight: half a member channel's default send
     * buffer. A member cannot have more than that queued at its node, so no member is ever
     * over its buffer and the run measures delivery, not gap notices.
     */
    public static final int AUTO_IN_FLIGHT_BYTES = FlowConfig.DEFAULT_CHANNEL_SEND_BUFFER / 2;
    /** The most messages {@code --in-flight} may allow: far beyond any channel's buffer. */
    public static final long MAX_IN_FLIGHT = 10_000_000L;
    /** Host of the embedded server: loopback only. */
    public static final String EMBEDDED_HOST = "127.0.0.1";

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

    /** The options with every default. */
    public static BenchOptions defaults() {
        return new BenchOptions(null, DEFAULT_CONNECTIONS, DEFAULT_CHANNELS, DEFAULT_SIZE, DEFAULT_DURATION,
                DEFAULT_WARMUP, NO_COUNT, UNLIMITED_RATE, Workload.ONEWAY, List.of(TransportKind.STREAM),
                DEFAULT_LOOPS, DEFAULT_LOOPS, Security.ON, DEFAULT_IDENTITY, Payload.RANDOM, Compression.ON, UNLIMITED_RATE,
                CompressionGoal.THROUGHPUT, DEFAULT_NODES, DEFAULT_MEMBERS, AUTO_IN_FLIGHT, Acknowledging.OFF, false);
    }

    /** True when the run starts its own server. */
    public boolean embedded() {
        return target == null;
    }

    /** Producers in all: one per channel of every connection. */
    public int lanes() {
        return connections * channels;
    }

    /** True when a run has a baseline phase: {@code --transport both}, {@code --security both} or {@code --compression both}. */
    public boolean compares() {
        return transports.size() > 1 || security == Security.BOTH || compression == Compression.BOTH || acks == Acknowledging.BOTH;
    }

    /** True when this phase's channels offer compression. */
    public boolean compressing() {
        return compression == Compression.ON;
    }

    /** These options for one phase of {@code --compression both}. */
    public BenchOptions withCompression(Compression phase) {
        return new BenchOptions(target, connections, channels, size, duration, warmup, count, rate, workload, transports,
                serverLoops, clientLoops, security, identity, payload, phase, linkRate, compressionGoal, nodes, members, inFlight, acks, giving);
    }

    /** These options for one phase of {@code --acks both}. */
    public BenchOptions withAcks(Acknowledging phase) {
        return new BenchOptions(target, connections, channels, size, duration, warmup, count, rate, workload, transports,
                serverLoops, clientLoops, security, identity, payload, compression, linkRate, compressionGoal, nodes, members, inFlight, phase, giving);
    }

    /** True when this phase's client offers acknowledgements. */
    public boolean acknowledging() {
        return acks == Acknowledging.ON;
    }

    /** True when this phase runs secure streams ({@code --security on}). */
    public boolean secure() {
        return security == Security.ON;
    }

    /** These options for one phase of {@code --security both}. */
    public BenchOptions withSecurity(Security phase) {
        return new BenchOptions(target, connections, channels, size, duration, warmup, count, rate, workload, transports,
                serverLoops, clientLoops, phase, identity, payload, compression, linkRate, compressionGoal, nodes, members, inFlight, acks, giving);
    }

    /**
     * The options of a command line, from the options given (picocli has split the command line
     * into them and refused unknown, repeated or valueless ones): each value is checked, then the
     * combination. {@code --workload} is given as {@code --mode}.
     *
     * @param given option name to its value, in the order given
     */
    static BenchOptions from(Map<String, String> given) throws OptionException {
        BenchOptions d = defaults();
        Target target = d.target;
        int connections = d.connections;
        int channels = d.channels;
        int size = d.size;
        Duration duration = d.duration;
        Duration warmup = d.warmup;
        long count = d.count;
        long rate = d.rate;
        Workload workload = d.workload;
        List<TransportKind> transports = d.transports;
        int serverLoops = d.serverLoops;
        int clientLoops = d.clientLoops;
        Security security = d.security;
        SignatureAlgorithm identity = d.identity;
        Payload payload = d.payload;
        Compression compression = d.compression;
        long linkRate = d.linkRate;
        CompressionGoal compressionGoal = d.compressionGoal;
        int nodes = d.nodes;
        int members = d.members;
        long inFlight = d.inFlight;
        Acknowledging acks = d.acks;
        boolean giving = d.giving;
        Set<String> seen = given.keySet();
        for (Map.Entry<String, String> option : given.entrySet()) {
            String name = option.getKey();
            String value = option.getValue();
            switch (name) {
                case "--target" -> target = Target.parse(value);
                case "--connections" -> connections = (int) number(name, value, 1, MAX_CONNECTIONS);
                case "--channels" -> channels = (int) number(name, value, 1, MAX_CHANNELS);
                case "--size" -> size = (int) number(name, value, MIN_SIZE, MAX_SIZE);
                case "--duration" -> duration = duration(name, value, false);
                case "--warmup" -> warmup = duration(name, value, true);
                case "--count" -> count = number(name, value, 1, Long.MAX_VALUE);
                case "--rate" -> rate = number(name, value, 0, MAX_RATE);
                case "--mode" -> workload = switch (value) {
                    case "oneway" -> Workload.ONEWAY;
                    case "pingpong" -> Workload.PINGPONG;
                    case "handshake" -> Workload.HANDSHAKE;
                    case "broadcast" -> Workload.BROADCAST;
                    default -> throw new OptionException("--mode: '" + value + "' is not oneway, pingpong, handshake or broadcast");
                };
                case "--nodes" -> nodes = (int) number(name, value, 1, MAX_NODES);
                case "--members" -> members = (int) number(name, value, 1, MAX_MEMBERS);
                case "--in-flight" -> inFlight = switch (value) {
                    case "auto" -> AUTO_IN_FLIGHT;
                    case "off" -> NO_IN_FLIGHT_LIMIT;
                    default -> number(name, value, 1, MAX_IN_FLIGHT);
                };
                case "--transport" -> transports = switch (value) {
                    case "stream" -> List.of(TransportKind.STREAM);
                    case "raw" -> List.of(TransportKind.RAW);
                    case "both" -> List.of(TransportKind.RAW, TransportKind.STREAM);
                    case "websocket" -> List.of(TransportKind.WEBSOCKET);
                    case "stream+websocket" -> List.of(TransportKind.STREAM, TransportKind.WEBSOCKET);
                    default -> throw new OptionException("--transport: '" + value + "' is not stream, raw, both, websocket or stream+websocket");
                };
                case "--server-loops" -> serverLoops = (int) number(name, value, 1, MAX_LOOPS);
                case "--client-loops" -> clientLoops = (int) number(name, value, 1, MAX_LOOPS);
                case "--payload" -> payload = Payload.parse(value);
                case "--compression" -> compression = Compression.parse(value);
                case "--acks" -> acks = Acknowledging.parse(value);
                case "--writes" -> giving = switch (value) {
                    case "copied" -> false;
                    case "given" -> true;
                    default -> throw new OptionException("--writes: '" + value + "' is not copied or given");
                };
                case "--link-rate" -> linkRate = number(name, value, 0, Long.MAX_VALUE);
                case "--compression-goal" -> {
                    try {
                        compressionGoal = CompressionGoal.parse(value);
                    } catch (IllegalArgumentException e) {
                        throw new OptionException("--compression-goal: '" + value + "' is not throughput or bytes");
                    }
                }
                case "--security" -> security = switch (value) {
                    case "on" -> Security.ON;
                    case "off" -> Security.OFF;
                    case "both" -> Security.BOTH;
                    default -> throw new OptionException("--security: '" + value + "' is not on, off or both");
                };
                case "--identity" -> identity = switch (value) {
                    case "ml-dsa-65" -> SignatureAlgorithm.ML_DSA_65;
                    case "ed25519" -> SignatureAlgorithm.ED25519;
                    default -> throw new OptionException("--identity: '" + value + "' is not ml-dsa-65 or ed25519");
                };
                default -> throw new IllegalArgumentException("not a bench option: " + name);
            }
        }
        if ((workload == Workload.PINGPONG || workload == Workload.BROADCAST) && size < TIMESTAMP_BYTES) {
            throw new OptionException("--size must be at least " + TIMESTAMP_BYTES + " for " + workload.option()
                    + ": the send time travels in the first " + TIMESTAMP_BYTES + " bytes");
        }
        if (target != null && transports.contains(TransportKind.RAW)) {
            throw new OptionException("--transport " + (transports.size() > 1 ? "both" : "raw")
                    + " needs the embedded server (the raw baseline is not a stream node); drop --target");
        }
        if (target != null && seen.contains("--server-loops")) {
            throw new OptionException("--server-loops sets up the embedded server; drop it or --target");
        }
        if (compression == Compression.BOTH && (transports.size() > 1 || transports.contains(TransportKind.RAW) || security == Security.BOTH)) {
            throw new OptionException("--compression both compares uncompressed to compressed streams; it needs --transport stream and --security on or off");
        }
        if (acks != Acknowledging.OFF && (security == Security.OFF || transports.contains(TransportKind.RAW))) {
            throw new OptionException("--acks " + acks.option() + " needs secure streams (acknowledgements are agreed in the secure handshake):"
                    + " drop --security off and --transport raw/both");
        }
        if (acks == Acknowledging.BOTH && (transports.size() > 1 || security == Security.BOTH || compression == Compression.BOTH)) {
            throw new OptionException("--acks both compares streams without and with acknowledgements; it needs one transport and"
                    + " --security on, --compression on or off");
        }
        if (acks != Acknowledging.OFF && (workload == Workload.BROADCAST || workload == Workload.HANDSHAKE)) {
            throw new OptionException("--acks applies to --mode oneway and pingpong");
        }
        if (giving && (workload != Workload.ONEWAY || transports.contains(TransportKind.RAW))) {
            throw new OptionException("--writes given applies to --mode oneway on streams (ping-pong stamps each message in place,"
                    + " and the raw baseline has no streams)");
        }
        if (security == Security.BOTH && (transports.size() > 1 || transports.contains(TransportKind.RAW))) {
            throw new OptionException("--security both compares secure to plaintext streams; it needs --transport stream");
        }
        if (workload == Workload.HANDSHAKE) {
            for (String perMessage : List.of("--channels", "--size", "--count")) {
                if (seen.contains(perMessage)) {
                    throw new OptionException(perMessage + " does not apply to --mode handshake (connectors loop connect -> ready -> close)");
                }
            }
            if (!transports.equals(List.of(TransportKind.STREAM))) {
                throw new OptionException("--mode handshake measures stream setups; it needs --transport stream (use --security both for a baseline)");
            }
            if (!seen.contains("--connections")) {
                connections = rate == UNLIMITED_RATE ? DEFAULT_HANDSHAKE_CONNECTIONS : DEFAULT_OPEN_LOOP_HANDSHAKES;
            }
        }
        if (workload == Workload.BROADCAST) {
            checkBroadcast(seen, target, transports, security);
        } else {
            for (String clusterOnly : List.of("--nodes", "--members", "--in-flight")) {
                if (seen.contains(clusterOnly)) {
                    throw new OptionException(clusterOnly + " applies to --mode broadcast only");
                }
            }
        }
        return new BenchOptions(target, connections, channels, size, duration, warmup, count, rate, workload,
                transports, serverLoops, clientLoops, security, identity, payload, compression, linkRate, compressionGoal,
                nodes, members, inFlight, acks, giving);
    }

    /** Broadcast starts its own nodes and measures one secure (or plaintext) configuration by duration. */
    private static void checkBroadcast(Set<String> seen, Target target, List<TransportKind> transports, Security security)
            throws OptionException {
        if (target != null) {
            throw new OptionException("--mode broadcast starts its own member nodes; drop --target");
        }
        if (!transports.equals(List.of(TransportKind.STREAM))) {
            throw new OptionException("--mode broadcast measures named clusters over streams; it needs --transport stream");
        }
        if (security == Security.BOTH) {
            throw new OptionException("--mode broadcast runs one configuration; give --security on or off and compare two runs");
        }
        for (String other : List.of("--connections", "--channels", "--count", "--link-rate")) {
            if (seen.contains(other)) {
                throw new OptionException(other + " does not apply to --mode broadcast (use --members and --nodes)");
            }
        }
    }

    /**
     * Broadcast mode: the messages the publisher may have in flight beyond the slowest member,
     * {@code --in-flight} resolved for the run's size; {@link #NO_IN_FLIGHT_LIMIT} for none.
     *
     * @param messageHeader the bytes a delivery adds to each payload
     */
    public long inFlightMessages(int messageHeader) {
        if (inFlight != AUTO_IN_FLIGHT) {
            return inFlight;
        }
        return Math.max(1, AUTO_IN_FLIGHT_BYTES / (size + messageHeader));
    }

    private static long number(String name, String value, long min, long max) throws OptionException {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new OptionException(name + ": '" + value + "' is not a whole number; give " + min + ".." + max);
        }
        if (n < min || n > max) {
            throw new OptionException(name + ": " + n + " is out of range " + min + ".." + max);
        }
        return n;
    }

    private static Duration duration(String name, String value, boolean zeroAllowed) throws OptionException {
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new OptionException(name + ": '" + value + "' is not a duration; use e.g. 500ms, 10s, 1m");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
        if (d.isZero() && !zeroAllowed) {
            throw new OptionException(name + " must be longer than 0");
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            throw new OptionException(name + ": " + value + " is longer than the limit of " + MAX_DURATION.toHours() + " h");
        }
        return d;
    }

    /** What {@code --transport} was: its phases' names, joined as the option spells them. */
    private String transportOption() {
        if (transports.equals(List.of(TransportKind.RAW, TransportKind.STREAM))) {
            return "both";
        }
        return String.join("+", transports.stream().map(TransportKind::option).toList());
    }

    /** The options as one line, for the output header. */
    public String describe() {
        if (workload == Workload.BROADCAST) {
            return String.format(Locale.ROOT, "mode=broadcast nodes=%d members=%d size=%d duration=%s warmup=%s rate=%s in-flight=%s server-loops=%d client-loops=%d security=%s identity=%s payload=%s compression=%s",
                    nodes, members, size, format(duration), format(warmup), rate == UNLIMITED_RATE ? "unlimited" : Long.toString(rate),
                    inFlight == AUTO_IN_FLIGHT ? "auto" : inFlight == NO_IN_FLIGHT_LIMIT ? "off" : Long.toString(inFlight),
                    serverLoops, clientLoops, security.option(), identity.configName(), payload.option(), compression.option());
        }
        return String.format(Locale.ROOT, "mode=%s transport=%s target=%s conns=%d ch=%d size=%d %s warmup=%s rate=%s server-loops=%s client-loops=%d security=%s identity=%s payload=%s compression=%s compression-goal=%s link-rate=%s",
                workload.option(), transportOption(),
                embedded() ? "embedded" : target.toString(), connections, channels, size,
                count != NO_COUNT ? "count=" + count : "duration=" + format(duration), format(warmup),
                rate == UNLIMITED_RATE ? "unlimited" : Long.toString(rate),
                embedded() ? Integer.toString(serverLoops) : "n/a", clientLoops, security.option(), identity.configName(),
                payload.option(), compression.option(), compressionGoal.configName(), linkRate == UNLIMITED_RATE ? "none" : Long.toString(linkRate));
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 && ms > 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
