package org.dapstream.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import org.HdrHistogram.Histogram;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.client.StreamHttpClient;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.service.HttpService;
import org.dapstream.service.ServiceLimits;
import org.dapstream.service.ServiceUpstreams;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * HTTP over a stream against plain HTTP to the same route, in one run: a Vert.x HTTP server on
 * loopback answers {@code GET /hello} with a body of {@code --size} bytes; the plain phase sends
 * it with the JDK's {@link HttpClient} straight to that server, the stream phase with
 * {@link StreamHttpClient} over one secure stream (one SERVICE channel) to a node on loopback
 * that forwards it there. Each phase keeps {@code --concurrency} requests in flight (closed
 * loop) for {@code --duration} after {@code --warmup}; phases alternate for {@code --rounds}
 * rounds, since the machine's noise is as large as a round. Prints requests/s and latency
 * percentiles per phase and the ratio stream/plain of each round.
 *
 * <pre>
 * java -cp target/classes:$(cat cp.txt) org.dapstream.bench.HttpBench --concurrency 16 --duration 10 --rounds 3
 * </pre>
 */
public final class HttpBench {
    static final int DEFAULT_CONCURRENCY = 16;
    static final int DEFAULT_SIZE = 64;
    static final int DEFAULT_DURATION_SECONDS = 10;
    static final int DEFAULT_WARMUP_SECONDS = 3;
    static final int DEFAULT_ROUNDS = 3;
    /** Longest a single request may take before the run is called failed. */
    static final long REQUEST_TIMEOUT_SECONDS = 30;
    static final long SETUP_TIMEOUT_SECONDS = 30;
    /** The latency histogram's range: 1 us to 60 s, 3 significant digits. */
    static final long LOWEST_NANOS = 1_000;
    static final long HIGHEST_NANOS = 60_000_000_000L;
    static final int SIGNIFICANT_DIGITS = 3;

    private HttpBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> o = new HashMap<>(Map.of("concurrency", DEFAULT_CONCURRENCY, "size", DEFAULT_SIZE,
                "duration", DEFAULT_DURATION_SECONDS, "warmup", DEFAULT_WARMUP_SECONDS, "rounds", DEFAULT_ROUNDS));
        for (int i = 0; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!o.containsKey(key)) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + o.keySet());
            }
            o.put(key, Integer.parseInt(args[i + 1]));
        }
        int concurrency = o.get("concurrency");
        Buffer body = Buffer.buffer("x".repeat(o.get("size")));
        Vertx upstreamVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        Vertx nodeVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        HttpServer upstream = upstreamVertx.createHttpServer().requestHandler(r -> r.response().end(body))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        URI base = URI.create("http://127.0.0.1:" + upstream.actualPort());
        ServiceLimits limits = new ServiceLimits(Math.max(ServiceLimits.DEFAULT_MAX_REQUESTS_PER_CHANNEL, concurrency),
                ServiceLimits.DEFAULT_MAX_HEADER_BYTES, ServiceLimits.DEFAULT_CONNECT_TIMEOUT, ServiceLimits.DEFAULT_IDLE_TIMEOUT,
                Math.max(ServiceLimits.DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM, concurrency));
        HttpService service = new HttpService(new ServiceUpstreams(() -> base, Map.of("api", base)), limits);
        SecureRandom random = new SecureRandom();
        StreamServer node = new StreamServer(nodeVertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ML_DSA_65, random),
                random)), null), ChannelRegistry.withDiagnostics().register(service), new Sessions(), new StreamCounters());
        node.start().toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        StreamClient streamClient = new StreamClient(ClientOptions.defaults());
        HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        VertxGet vertxPlain = new VertxGet(clientVertx, base, "/hello", concurrency);
        try {
            Stream stream = streamClient.connect("127.0.0.1", node.port()).get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            StreamHttpClient overStream = StreamHttpClient.open(stream).get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            HttpRequest direct = HttpRequest.newBuilder(base.resolve("/hello")).GET().build();
            HttpRequest viaNode = HttpRequest.newBuilder(URI.create("http://api/hello")).GET().build();
            System.out.printf("http bench: GET /hello, %d-byte body, %d in flight, %d s per phase after %d s warm-up, java %s%n",
                    o.get("size"), concurrency, o.get("duration"), o.get("warmup"), System.getProperty("java.version"));
            for (int round = 1; round <= o.get("rounds"); round++) {
                double jdkRate = phase("jdk", round, concurrency, o,
                        () -> plain.sendAsync(direct, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode));
                double vertxRate = phase("vertx", round, concurrency, o, vertxPlain::get);
                double streamRate = phase("stream", round, concurrency, o,
                        () -> overStream.sendAsync(viaNode, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode));
                System.out.printf("round %d: stream/vertx requests/s %.2f, stream/jdk %.2f%n", round, streamRate / vertxRate,
                        streamRate / jdkRate);
            }
        } finally {
            streamClient.close();
            node.stop().toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            service.close();
            nodeVertx.close().toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            clientVertx.close().toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            upstreamVertx.close().toCompletionStage().toCompletableFuture().get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** One phase: warm-up, then the measured closed loop; prints its line and returns its requests/s. */
    private static double phase(String name, int round, int concurrency, Map<String, Integer> o,
                                Supplier<CompletableFuture<Integer>> send)
            throws Exception {
        loop(concurrency, Duration.ofSeconds(o.get("warmup")), send, new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS));
        Histogram latency = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
        long start = System.nanoTime();
        long requests = loop(concurrency, Duration.ofSeconds(o.get("duration")), send, latency);
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = requests / seconds;
        System.out.printf("round %d %-6s: %8.0f requests/s  p50 %7.1f us  p99 %7.1f us  p99.9 %7.1f us  (%d requests)%n", round, name,
                rate, latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(99) / 1e3,
                latency.getValueAtPercentile(99.9) / 1e3, requests);
        return rate;
    }

    /** {@code concurrency} chains of requests, each sending the next when its last completes, until {@code length} is over. */
    private static long loop(int concurrency, Duration length,
                             Supplier<CompletableFuture<Integer>> send,
                             Histogram latency) throws Exception {
        long deadline = System.nanoTime() + length.toNanos();
        long[] counts = new long[concurrency];
        CompletableFuture<?>[] chains = new CompletableFuture<?>[concurrency];
        for (int i = 0; i < concurrency; i++) {
            int lane = i;
            CompletableFuture<Void> done = new CompletableFuture<>();
            chains[i] = done;
            next(lane, deadline, send, latency, counts, done);
        }
        CompletableFuture.allOf(chains).get(length.toSeconds() + REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    private static void next(int lane, long deadline,
                             Supplier<CompletableFuture<Integer>> send,
                             Histogram latency, long[] counts, CompletableFuture<Void> done) {
        if (System.nanoTime() >= deadline) {
            done.complete(null);
            return;
        }
        long sent = System.nanoTime();
        send.get().whenComplete((status, e) -> {
            if (e != null || status != 200) {
                done.completeExceptionally(e != null ? e : new IllegalStateException("status " + status));
                return;
            }
            synchronized (latency) {
                latency.recordValue(Math.min(HIGHEST_NANOS, System.nanoTime() - sent));
                counts[lane]++;
            }
            next(lane, deadline, send, latency, counts, done);
        });
    }
}
