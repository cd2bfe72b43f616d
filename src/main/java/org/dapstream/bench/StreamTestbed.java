package org.dapstream.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.stream.Channel;
import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.RateLimit;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamStats;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.WebSocketSettings;

import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** DAP Stream connections: our client against the embedded {@link StreamServer} or a remote node. */
final class StreamTestbed implements Testbed {
    private final BenchOptions options;
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final List<Stream> streams = new ArrayList<>();
    /** Each stream's event loop, in the order of {@link #streams}. */
    private final List<Context> contexts = new ArrayList<>();
    private final List<Lane> lanes = new ArrayList<>();
    private EmbeddedServer server;
    private StreamClient client;
    private volatile boolean closing;

    /** What carries the streams: TCP ({@link TransportKind#STREAM}) or WebSocket. */
    private final TransportKind transport;

    private StreamTestbed(BenchOptions options, TransportKind transport) {
        this.transport = transport;
        this.options = options;
    }

    /** Starts the server (if embedded), connects and opens every channel. */
    static StreamTestbed open(BenchOptions options) throws BenchFailure {
        return open(options, TransportKind.STREAM);
    }

    /** The same over {@code transport}: {@link TransportKind#STREAM} (TCP) or {@link TransportKind#WEBSOCKET}. */
    static StreamTestbed open(BenchOptions options, TransportKind transport) throws BenchFailure {
        StreamTestbed bed = new StreamTestbed(options, transport);
        try {
            bed.setUp();
            return bed;
        } catch (BenchFailure | RuntimeException e) {
            bed.close();
            throw e;
        }
    }

    private void setUp() throws BenchFailure {
        String host;
        int port;
        boolean webSocket = transport == TransportKind.WEBSOCKET;
        if (options.embedded()) {
            server = EmbeddedServer.start(options, webSocket);
            host = server.host();
            port = webSocket ? server.webSocketPort() : server.port();
        } else {
            host = options.target().host();
            port = options.target().port();
        }
        client = new StreamClient(clientOptions(options));
        ChannelType type = options.workload() == Workload.ONEWAY ? ChannelType.DISCARD : ChannelType.ECHO;
        for (int c = 0; c < options.connections(); c++) {
            Watch watch = new Watch();
            Stream stream = webSocket
                    ? await(client.connect(webSocketUri(host, port), null, watch), SETUP_TIMEOUT, "stream connection to " + webSocketUri(host, port))
                    : await(client.connect(host, port, watch), SETUP_TIMEOUT, "stream connection to " + host + ":" + port);
            streams.add(stream);
            contexts.add(watch.context);
            List<CompletableFuture<Channel>> opening = new ArrayList<>();
            List<StreamLane> opened = new ArrayList<>();
            for (int ch = 0; ch < options.channels(); ch++) {
                StreamLane lane = new StreamLane(watch.context, options.giving());
                opened.add(lane);
                opening.add(stream.openChannel(type, lane, options.compressing()));
            }
            for (int ch = 0; ch < opening.size(); ch++) {
                opened.get(ch).bind(await(opening.get(ch), SETUP_TIMEOUT, "opening a " + type + " channel"));
            }
            lanes.addAll(opened);
        }
    }

    /** Where a WebSocket phase dials: the node's HTTP port, its stream path. */
    static URI webSocketUri(String host, int port) {
        return URI.create("ws://" + host + ":" + port + WebSocketSettings.DEFAULT_PATH);
    }

    /** The client of one phase: secure with an identity of {@code --identity}'s algorithm, or plaintext. */
    static ClientOptions clientOptions(BenchOptions options) {
        ClientOptions base = ClientOptions.plaintext().withEventLoops(options.clientLoops())
                .withStream(clientStreamConfig(options));
        if (!options.secure()) {
            return base;
        }
        SecureRandom random = new SecureRandom();
        return base.withSecurity(HandshakeSettings.defaults(NodeIdentity.generate(options.identity(), random), random))
                .withAcknowledgements(options.acknowledging());
    }

    /** Both sides' stream settings: the defaults, compression as the phase says, and the link rate on the client's streams. */
    static StreamConfig streamConfig(BenchOptions options) {
        return StreamConfig.defaults().withFlow(FlowConfig.defaults().withCompression(options.compressing()).withCompressionGoal(options.compressionGoal()));
    }

    private static StreamConfig clientStreamConfig(BenchOptions options) {
        StreamConfig config = streamConfig(options);
        return options.linkRate() == BenchOptions.UNLIMITED_RATE ? config
                : config.withFlow(config.flow().withRates(new RateLimit(options.linkRate(), 0), RateLimit.NONE));
    }

    @Override
    public WireCount wireSent() throws BenchFailure {
        long bytes = 0;
        long frames = 0;
        for (int i = 0; i < streams.size(); i++) {
            Stream stream = streams.get(i);
            CompletableFuture<StreamStats> read = new CompletableFuture<>();
            contexts.get(i).runOnContext(v -> read.complete(stream.stats()));
            StreamStats stats = await(read, SETUP_TIMEOUT, "the sent-frame counts of " + stream);
            bytes += stats.bytesSent();
            frames += stats.packetsSent();
        }
        return new WireCount(bytes, frames);
    }

    /** Learns the stream's event loop and reports an unexpected end as the run's failure. */
    private final class Watch implements StreamListener {
        volatile Context context;

        @Override
        public void active(Stream stream) {
            context = Vertx.currentContext(); // the stream's own loop: listeners run on it
        }

        @Override
        public void closed(Stream stream, CloseReason reason) {
            if (!closing) {
                failure.completeExceptionally(new IllegalStateException(stream + " ended: " + reason));
            }
        }
    }

    @Override
    public List<Lane> lanes() {
        return lanes;
    }

    @Override
    public List<Lane> reporters() {
        return lanes;
    }

    @Override
    public CompletableFuture<Void> failure() {
        return failure;
    }

    @Override
    public void close() {
        closing = true;
        List<CompletableFuture<CloseReason>> closed = new ArrayList<>();
        for (Stream s : streams) {
            s.close();
            closed.add(s.closed());
        }
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new))
                    .get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // An unanswered CLOSE: the client's close below drops the connections anyway.
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }
}
