package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.dapstream.client.StreamClient;
import org.dapstream.client.StreamHttpClient;
import org.dapstream.client.StreamHttpException;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ServiceCodec;
import org.dapstream.protocol.ServiceMessage;
import org.dapstream.service.HttpService;
import org.dapstream.service.ServiceLimits;
import org.dapstream.service.ServiceUpstreams;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP over a stream with real parts: a real node (secure stream on 127.0.0.1), a real Vert.x
 * HTTP server as its own routes and as the allow-listed upstream {@code api}, and the Java
 * client. Small and 20 MiB bodies both ways (SHA-256 checked), 50 requests at once on one
 * channel, a slow body beside fast requests, an upstream that is down, an unknown upstream, and
 * hostile heads sent byte for byte: each gets its own code and the channel goes on.
 */
class HttpServiceSocketTest {
    static final int TIMEOUT_SECONDS = 60;
    static final int BIG = 20 * 1024 * 1024;
    /**
     * The body of /big, which nobody reads at first: large enough that what the buffers on its
     * way hold (loopback socket buffers autotune to several MiB each way, then Netty's, the
     * node's channel queue and window, the client's) stays well under half of it.
     */
    static final int UNREAD_BIG = 64 * 1024 * 1024;
    static final int MAX_REQUESTS = 60;
    /** Slow route: this many 1 KiB chunks, one per {@link #SLOW_STEP_MILLIS}. */
    static final int SLOW_CHUNKS = 10;
    static final long SLOW_STEP_MILLIS = 100;
    /** How long a test leaves a response unread before it looks how much the upstream wrote. */
    static final long UNREAD_MILLIS = 1500;

    private Vertx upstreamVertx;
    private HttpServer upstream;
    /** Requests the upstream saw: a refused request never reaches it. */
    private final AtomicInteger upstreamRequests = new AtomicInteger();
    /** Bytes of /big the upstream has written to its connection so far. */
    private final AtomicLong bigWritten = new AtomicLong();
    /** Requests to /stall wait here until the test lets them go. */
    private final List<HttpServerRequest> stalled = new ArrayList<>();
    private HttpService service;
    private LoopbackServer server;
    private StreamClient client;
    private Stream stream;
    private StreamHttpClient http;

    @BeforeEach
    void start() throws Exception {
        upstreamVertx = Vertx.vertx();
        upstream = upstreamVertx.createHttpServer().requestHandler(this::serve).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        URI base = URI.create("http://127.0.0.1:" + upstream.actualPort());
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once it is closed
        }
        ServiceUpstreams upstreams = new ServiceUpstreams(() -> base, Map.of("api", base,
                "down", URI.create("http://127.0.0.1:" + closed)));
        service = new HttpService(upstreams, new ServiceLimits(MAX_REQUESTS, ServiceLimits.DEFAULT_MAX_HEADER_BYTES,
                Duration.ofSeconds(5), Duration.ofSeconds(30), 16));
        server = LoopbackServer.start(StreamConfig.defaults(), ChannelRegistry.withDiagnostics().register(service));
        client = LoopbackServer.client(StreamConfig.defaults());
        stream = server.connect(client);
        http = StreamHttpClient.open(stream).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        synchronized (stalled) {
            stalled.forEach(r -> r.response().end("released"));
        }
        client.close();
        server.close();
        service.close();
        upstreamVertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private void serve(HttpServerRequest req) {
        upstreamRequests.incrementAndGet();
        switch (req.path()) {
            case "/hello" -> req.response().putHeader("content-type", "text/plain")
                    .end("hello " + (req.getParam("i") == null ? req.host() : req.getParam("i")));
            case "/echo" -> {
                req.response().setChunked(req.getHeader("content-length") == null);
                if (req.getHeader("content-length") != null) {
                    req.response().putHeader("content-length", req.getHeader("content-length"));
                }
                req.pipeTo(req.response());
            }
            case "/headers" -> req.response().end(req.headers().entries().stream().map(e -> e.getKey().toLowerCase() + "=" + e.getValue())
                    .sorted().reduce((a, b) -> a + "\n" + b).orElse(""));
            case "/slow" -> {
                req.response().setChunked(true);
                AtomicInteger sent = new AtomicInteger();
                upstreamVertx.setPeriodic(SLOW_STEP_MILLIS, id -> {
                    req.response().write("s".repeat(1024));
                    if (sent.incrementAndGet() == SLOW_CHUNKS) {
                        upstreamVertx.cancelTimer(id);
                        req.response().end();
                    }
                });
            }
            case "/big" -> {
                req.response().putHeader("content-length", Integer.toString(UNREAD_BIG));
                writeBig(req.response(), new Random(2), UNREAD_BIG);
            }
            case "/stall" -> {
                synchronized (stalled) {
                    stalled.add(req);
                }
            }
            default -> req.response().setStatusCode(404).end();
        }
    }

    /** Writes {@code left} random bytes, only while the connection takes them (what a well-behaved server does). */
    private void writeBig(HttpServerResponse resp, Random random, int left) {
        while (left > 0 && !resp.writeQueueFull()) {
            byte[] chunk = new byte[Math.min(left, 64 * 1024)];
            random.nextBytes(chunk);
            resp.write(Buffer.buffer(chunk));
            left -= chunk.length;
            bigWritten.addAndGet(chunk.length);
        }
        if (left == 0) {
            resp.end();
            return;
        }
        int rest = left;
        resp.drainHandler(v -> writeBig(resp, random, rest));
    }

    private static HttpRequest get(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).GET().build();
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    @Test
    @Timeout(60)
    void aGetReachesTheNodesRoutesAndTheNamedUpstream() throws Exception {
        HttpResponse<String> own = http.send(get("http://node/hello?i=1"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, own.statusCode());
        assertEquals("hello 1", own.body());
        assertEquals("text/plain", own.headers().firstValue("content-type").orElseThrow());
        HttpResponse<String> api = http.send(HttpRequest.newBuilder(URI.create("http://api/headers")).header("x-trace", "abc").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(api.body().contains("x-trace=abc"), api.body());
        assertTrue(api.body().contains("host=127.0.0.1:" + upstream.actualPort()), "the node sets Host to the upstream's: " + api.body());
        assertEquals(404, http.send(get("http://api/nothing"), HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    @Timeout(120)
    void twentyMebibytesGoUpAndComeBackWholeWithAndWithoutALength() throws Exception {
        byte[] body = new byte[BIG];
        new Random(1).nextBytes(body);
        HttpResponse<byte[]> sized = http.send(HttpRequest.newBuilder(URI.create("http://api/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, sized.statusCode());
        assertEquals(BIG, sized.body().length);
        assertArrayEquals(sha256(body), sha256(sized.body()), "SHA-256 of what came back (Content-Length given)");
        HttpResponse<byte[]> streamed = http.send(HttpRequest.newBuilder(URI.create("http://api/echo"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(BIG, streamed.body().length);
        assertArrayEquals(sha256(body), sha256(streamed.body()), "SHA-256 of what came back (no length: chunked upstream)");
    }

    /**
     * A response nobody reads stops at the upstream: the client's buffer, the channel window and
     * the sockets between hold some MiB of the 64, the rest is never written until the reader
     * reads; then all of it arrives, SHA-256 checked.
     */
    @Test
    @Timeout(120)
    void aResponseNobodyReadsStopsTheUpstreamAndArrivesWholeOnceRead() throws Exception {
        HttpResponse<InputStream> r = http.send(get("http://api/big"), HttpResponse.BodyHandlers.ofInputStream());
        Thread.sleep(UNREAD_MILLIS);
        long written = bigWritten.get();
        assertTrue(written < UNREAD_BIG / 2, "the upstream wrote " + written + " of " + UNREAD_BIG + " bytes to a reader that read none");
        assertTrue(http.channel().paused(), "the client paused the channel");
        byte[] expected = new byte[UNREAD_BIG];
        Random random = new Random(2);
        for (int at = 0; at < UNREAD_BIG; at += 64 * 1024) {
            byte[] chunk = new byte[Math.min(UNREAD_BIG - at, 64 * 1024)];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, expected, at, chunk.length);
        }
        try (InputStream in = r.body()) {
            assertArrayEquals(sha256(expected), sha256(in.readAllBytes()), "SHA-256 of the body once read");
        }
        assertEquals("hello 9", http.send(get("http://api/hello?i=9"), HttpResponse.BodyHandlers.ofString()).body(),
                "the channel runs again");
    }

    @Test
    @Timeout(60)
    void fiftyRequestsAtOnceOnOneChannel() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            responses.add(http.sendAsync(get("http://api/hello?i=" + i), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = responses.get(i).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals("hello " + i, r.body(), "response " + i + " is its own request's");
        }
        assertEquals(1, stream.channels().stream().filter(c -> c.type().equals(ChannelType.SERVICE)).count(), "one SERVICE channel");
        assertEquals(0, http.inFlight());
    }

    /**
     * Requests started on the channel's loop (from a response's completion) and from other
     * threads at once: ids still reach the node rising (else the channel would end with
     * MALFORMED_SERVICE_MESSAGE), and every response is its request's.
     */
    @Test
    @Timeout(60)
    void requestsStartedFromTheLoopAndFromOtherThreadsReachTheNodeInIdOrder() throws Exception {
        int chains = 8;
        int perChain = 50;
        List<CompletableFuture<Integer>> done = new ArrayList<>();
        for (int c = 0; c < chains; c++) {
            done.add(chain(c, perChain, 0));
        }
        for (int i = 0; i < 200; i++) {
            assertEquals("hello t" + i, http.send(get("http://api/hello?i=t" + i), HttpResponse.BodyHandlers.ofString()).body());
        }
        for (CompletableFuture<Integer> d : done) {
            assertEquals(perChain, d.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
    }

    /** {@code left} requests, each sent from the completion of the one before (on the loop). */
    private CompletableFuture<Integer> chain(int c, int left, int ok) {
        if (left == 0) {
            return CompletableFuture.completedFuture(ok);
        }
        String i = c + "-" + left;
        return http.sendAsync(get("http://api/hello?i=" + i), HttpResponse.BodyHandlers.ofString())
                .thenCompose(r -> chain(c, left - 1, ok + (r.body().equals("hello " + i) ? 1 : 0)));
    }

    @Test
    @Timeout(60)
    void aSlowBodyArrivesWholeAndFastRequestsPassItMeanwhile() throws Exception {
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(get("http://api/slow"), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> fast = http.send(get("http://node/hello?i=fast"), HttpResponse.BodyHandlers.ofString());
        assertEquals("hello fast", fast.body());
        assertTrue(!slow.isDone(), "the fast request was answered while the slow body was still coming");
        HttpResponse<String> r = slow.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals("s".repeat(1024 * SLOW_CHUNKS), r.body());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(SLOW_STEP_MILLIS * (SLOW_CHUNKS - 1)), "it was slow");
    }

    private void assertRefused(String uri, ErrorCode code) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> http.sendAsync(get(uri), HttpResponse.BodyHandlers.ofString()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        StreamHttpException refused = assertInstanceOf(StreamHttpException.class, e.getCause());
        assertEquals(code, refused.code(), refused.getMessage());
        assertEquals("hello after", http.send(get("http://node/hello?i=after"), HttpResponse.BodyHandlers.ofString()).body(),
                "the channel goes on");
    }

    @Test
    @Timeout(60)
    void anUpstreamThatIsDownAndOneNotOnTheListGetTheirOwnCodes() throws Exception {
        assertRefused("http://down/hello", ErrorCode.SERVICE_UPSTREAM_FAILED);
        assertRefused("http://example.com/", ErrorCode.SERVICE_UPSTREAM_REFUSED);
        assertRefused("http://127.0.0.1:" + upstream.actualPort() + "/hello", ErrorCode.SERVICE_UPSTREAM_REFUSED);
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class, () -> http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://node/hello")).header("transfer-encoding", "chunked").GET().build(),
                HttpResponse.BodyHandlers.ofString()));
        assertTrue(local.getMessage().contains("hop-by-hop"), local.getMessage());
    }

    @Test
    @Timeout(60)
    void requestsOverTheChannelsLimitAreRefusedUntilOthersFinish() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < MAX_REQUESTS; i++) {
            held.add(http.sendAsync(get("http://api/stall"), HttpResponse.BodyHandlers.ofString()));
        }
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> http.sendAsync(get("http://api/hello"), HttpResponse.BodyHandlers.ofString()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(ErrorCode.SERVICE_REQUEST_LIMIT, assertInstanceOf(StreamHttpException.class, e.getCause()).code());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            synchronized (stalled) {
                // the node's pool has 16 connections to the upstream: the rest wait for one, and come as these end
                stalled.forEach(r -> r.response().end("released"));
                stalled.clear();
            }
            if (held.stream().allMatch(CompletableFuture::isDone)) {
                break;
            }
            Thread.sleep(20);
        }
        for (CompletableFuture<HttpResponse<String>> f : held) {
            assertEquals("released", f.get(1, TimeUnit.SECONDS).body());
        }
        assertEquals("hello 1", http.send(get("http://api/hello?i=1"), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    @Timeout(60)
    void aRequestPastItsTimeoutFailsAndTheChannelGoesOn() throws Exception {
        HttpRequest stall = HttpRequest.newBuilder(URI.create("http://api/stall")).timeout(Duration.ofMillis(300)).GET().build();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> http.sendAsync(stall, HttpResponse.BodyHandlers.ofString()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertInstanceOf(HttpTimeoutException.class, e.getCause());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (http.inFlight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, http.inFlight(), "the client forgot the request");
        assertEquals("hello 8", http.send(get("http://api/hello?i=8"), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** A SERVICE channel driven message by message, as a hostile client would. */
    private static final class RawService implements ChannelHandler {
        final LinkedBlockingQueue<Object> in = new LinkedBlockingQueue<>();

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            try {
                in.add(ServiceCodec.decode(data));
            } catch (Exception e) {
                in.add(e);
            }
        }

        @Override
        public void closed(Channel channel, CloseReason reason) {
            in.add(reason);
        }

        Object next() throws InterruptedException {
            Object m = in.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertTrue(m != null, "an answer within " + TIMEOUT_SECONDS + " s");
            return m;
        }
    }

    private static ServiceMessage.Request head(int id, boolean end, String method, String target, String... fields) {
        List<ServiceMessage.Header> headers = new ArrayList<>();
        for (int i = 0; i < fields.length; i += 2) {
            headers.add(new ServiceMessage.Header(fields[i], fields[i + 1]));
        }
        return new ServiceMessage.Request(id, end, method, "api", target, headers);
    }

    private static void assertReset(RawService raw, int id, ErrorCode code) throws InterruptedException {
        ServiceMessage.Reset reset = assertInstanceOf(ServiceMessage.Reset.class, raw.next());
        assertEquals(id, reset.request());
        assertEquals(code.code(), reset.code(), reset.reason());
    }

    @Test
    @Timeout(60)
    void hostileHeadsGetTheirOwnCodesNeverReachTheUpstreamAndTheChannelGoesOn() throws Exception {
        RawService raw = new RawService();
        Channel ch = stream.openChannel(ChannelType.SERVICE, raw).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int before = upstreamRequests.get();

        ch.write(PacketType.DATA, ServiceCodec.encode(head(1, true, "GET", "/hello", "x-big", "b".repeat(20_000))));
        assertReset(raw, 1, ErrorCode.SERVICE_HEADERS_TOO_LARGE);
        ch.write(PacketType.DATA, ServiceCodec.encode(head(2, true, "GET", "/hello", "x-a", "1\r\nx-injected: 1")));
        assertReset(raw, 2, ErrorCode.SERVICE_BAD_REQUEST);
        ch.write(PacketType.DATA, ServiceCodec.encode(head(3, false, "POST", "/echo", "content-length", "3", "Content-Length", "4")));
        ch.write(PacketType.DATA, ServiceCodec.encode(new ServiceMessage.Body(3, "abcd".getBytes()))); // dropped: request 3 was refused
        ch.write(PacketType.DATA, ServiceCodec.encode(new ServiceMessage.End(3)));
        assertReset(raw, 3, ErrorCode.SERVICE_BAD_REQUEST);
        ch.write(PacketType.DATA, ServiceCodec.encode(head(4, false, "POST", "/echo", "Transfer-Encoding", "chunked")));
        assertReset(raw, 4, ErrorCode.SERVICE_BAD_REQUEST);
        ch.write(PacketType.DATA, ServiceCodec.encode(head(5, false, "POST", "/echo", "content-length", "2")));
        ch.write(PacketType.DATA, ServiceCodec.encode(new ServiceMessage.Body(5, "abc".getBytes())));
        assertReset(raw, 5, ErrorCode.SERVICE_BAD_REQUEST); // a body longer than its Content-Length
        assertTrue(upstreamRequests.get() - before <= 1, "no refused head became an upstream request (5 may have connected)");

        ch.write(PacketType.DATA, ServiceCodec.encode(head(6, true, "GET", "/hello?i=6")));
        ServiceMessage.Response ok = assertInstanceOf(ServiceMessage.Response.class, raw.next());
        assertEquals(200, ok.status());
        assertEquals("hello 6", new String(assertInstanceOf(ServiceMessage.Body.class, raw.next()).data()));
        assertInstanceOf(ServiceMessage.End.class, raw.next());

        // A malformed message ends this channel only; the stream and the client's channel go on.
        ch.write(PacketType.DATA, new byte[] {ServiceMessage.KIND_END, 6, 0, 0, 0, 0});
        CloseReason ended = assertInstanceOf(CloseReason.class, raw.next());
        assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE.code(), ended.code(), ended.reason());
        assertEquals("hello 7", http.send(get("http://node/hello?i=7"), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    @Timeout(60)
    void requestIdsRiseAndAMessageOfANeverStartedRequestEndsTheChannel() throws Exception {
        RawService raw = new RawService();
        Channel ch = stream.openChannel(ChannelType.SERVICE, raw).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ch.write(PacketType.DATA, ServiceCodec.encode(new ServiceMessage.Body(9, new byte[] {1})));
        CloseReason ended = assertInstanceOf(CloseReason.class, raw.next());
        assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE.code(), ended.code());
        assertTrue(ended.reason().contains("never started"), ended.reason());

        RawService again = new RawService();
        Channel second = stream.openChannel(ChannelType.SERVICE, again).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        second.write(PacketType.DATA, ServiceCodec.encode(head(5, true, "GET", "/hello")));
        assertInstanceOf(ServiceMessage.Response.class, again.next());
        second.write(PacketType.DATA, ServiceCodec.encode(head(5, true, "GET", "/hello")));
        Object next;
        do {
            next = again.next(); // the rest of request 5's response, then the end of the channel
        } while (next instanceof ServiceMessage);
        assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE.code(), assertInstanceOf(CloseReason.class, next).code());
    }
}
