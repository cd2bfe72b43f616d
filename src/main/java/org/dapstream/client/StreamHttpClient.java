package org.dapstream.client;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.ServiceCodec;
import org.dapstream.protocol.ServiceMessage;
import org.dapstream.protocol.ServiceRules;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP over a stream (PROTOCOL.md section 31), shaped like {@link HttpClient}: build a
 * {@link HttpRequest} whose URI names the upstream as its host ({@code http://node/q/health} for
 * the node's own routes, {@code http://billing/invoices} for the allow-listed upstream
 * {@code billing}) and {@link #send} or {@link #sendAsync} it with any
 * {@link HttpResponse.BodyHandler}. Requests run concurrently on one SERVICE channel; bodies
 * stream both ways: a request body is read from its publisher only as the channel takes it, and
 * a response body a subscriber does not ask for pauses the channel once
 * {@link #RESPONSE_BUFFER_BYTES} wait (the channel's other requests wait with it: give a slow
 * reader a channel of its own). A request the node refuses fails with {@link StreamHttpException}.
 */
public final class StreamHttpClient implements AutoCloseable {
    /** Response body bytes one request keeps for a subscriber that has not asked for them, before the channel is paused. */
    public static final int RESPONSE_BUFFER_BYTES = 1 << 20;
    /** Methods whose empty body goes without a Content-Length, as HTTP clients send them. */
    private static final Set<String> BODILESS = Set.of("GET", "HEAD", "DELETE", "OPTIONS", "TRACE");

    private final Channel channel;
    private final Map<Integer, Call<?>> calls = new ConcurrentHashMap<>();
    /**
     * Guards {@link #lastId}. Ids are taken and REQUESTs written on the channel's loop only: a
     * write there goes out at once, a write from another thread is queued for the loop, so
     * requests started from both would reach the node out of id order.
     */
    private final Object starting = new Object();
    private long lastId = -1;
    private final AtomicInteger holds = new AtomicInteger();
    /** The channel's event loop, learnt when it opened. */
    private volatile Context loop;

    private StreamHttpClient(Channel channel) {
        this.channel = channel;
    }

    /** Opens a SERVICE channel on {@code stream}; fails if the node serves none. */
    public static CompletableFuture<StreamHttpClient> open(Stream stream) {
        Handler handler = new Handler();
        return stream.openChannel(ChannelType.SERVICE, handler).thenApply(ch -> {
            StreamHttpClient client = new StreamHttpClient(ch);
            client.loop = handler.loop;
            handler.owner = client;
            return client;
        });
    }

    public Channel channel() {
        return channel;
    }

    /** Requests sent and not yet answered in full. */
    public int inFlight() {
        return calls.size();
    }

    /** Like {@link HttpClient#send}: waits for the response (and, as the body handler decides, its body). */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> response = sendAsync(request, handler);
        try {
            return response.get();
        } catch (InterruptedException e) {
            response.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause);
        }
    }

    /**
     * Like {@link HttpClient#sendAsync}: completes when the body handler's subscriber has the
     * body (at once for a streaming one such as {@code ofInputStream}); fails with
     * {@link HttpTimeoutException} past the request's {@link HttpRequest#timeout()}, and the node
     * is told to drop the request.
     *
     * @throws IllegalArgumentException for a request the node would refuse (see {@link ServiceRules})
     */
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        Optional<HttpRequest.BodyPublisher> publisher = request.bodyPublisher();
        long length = publisher.map(HttpRequest.BodyPublisher::contentLength).orElse(0L);
        List<ServiceMessage.Header> headers = new ArrayList<>();
        request.headers().map().forEach((name, values) -> values.forEach(v -> headers.add(new ServiceMessage.Header(name, v))));
        if (length > 0 || (length == 0 && !BODILESS.contains(request.method()))) {
            headers.add(new ServiceMessage.Header("content-length", Long.toString(length)));
        }
        boolean end = length == 0;
        URI uri = request.uri();
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        // Checked and encoded here, so a request the node would refuse fails in the caller; the id is set on the loop.
        ServiceMessage.Request head = new ServiceMessage.Request(0, end, request.method(), authority, target, headers);
        ServiceRules.Refusal refusal = ServiceRules.check(head);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal.reason());
        }
        byte[] bytes = ServiceCodec.encode(head);
        Call<T> call = new Call<>(request, handler);
        Runnable begin = () -> begin(call, bytes, end ? null : publisher.orElseThrow());
        Context l = loop;
        if (l == null || (Context.isOnEventLoopThread() && Vertx.currentContext() == l)) {
            begin.run();
        } else {
            l.runOnContext(v -> begin.run());
        }
        call.result.whenComplete((r, e) -> {
            if (call.result.isCancelled()) {
                call.giveUp("the caller cancelled");
            }
        });
        request.timeout().ifPresent(timeout -> CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
            if (call.result.completeExceptionally(new HttpTimeoutException("no response within " + timeout))) {
                call.giveUp("timed out after " + timeout);
            }
        }));
        return call.result;
    }

    /** On the loop: takes the next id, writes the REQUEST, then has the body read off the loop (a publisher may read a file). */
    private void begin(Call<?> call, byte[] head, HttpRequest.BodyPublisher body) {
        if (call.result.isDone()) {
            return; // cancelled or timed out before it was sent
        }
        synchronized (starting) {
            call.id = (int) (lastId + 1);
            lastId = Integer.toUnsignedLong(call.id);
            calls.put(call.id, call);
        }
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putInt(1, call.id); // the id follows the kind byte
        if (!write(head)) {
            call.fail(new StreamHttpException(ErrorCode.CHANNEL_CLOSED.code(), "the SERVICE channel is closed"));
            return;
        }
        if (body != null) {
            ForkJoinPool.commonPool().execute(() -> body.subscribe(new BodyWriter(call)));
        }
    }

    /** Closes the SERVICE channel; requests under way fail. */
    @Override
    public void close() {
        channel.close();
    }

    /** False when the channel is closed (then nothing was written). */
    private boolean write(byte[] message) {
        try {
            channel.write(PacketType.DATA, message);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** On the channel's loop. */
    private void on(ServiceMessage m) throws ProtocolException {
        if (m instanceof ServiceMessage.Request) {
            throw new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, "REQUEST is sent by the client, not to it");
        }
        Call<?> call = calls.get(m.request());
        if (call == null) {
            long id = Integer.toUnsignedLong(m.request());
            synchronized (starting) {
                if (id <= lastId) {
                    return; // of a request given up or answered: what was on its way is dropped
                }
            }
            throw new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, "a SERVICE message for request " + id + ", never sent");
        }
        if (m instanceof ServiceMessage.Response r) {
            call.response(r);
        } else if (m instanceof ServiceMessage.Body b) {
            call.body(b.data());
        } else if (m instanceof ServiceMessage.End) {
            call.end();
        } else {
            ServiceMessage.Reset reset = (ServiceMessage.Reset) m;
            call.fail(new StreamHttpException(reset.code(), reset.reason()));
        }
    }

    private void closed(CloseReason reason) {
        for (Call<?> call : calls.values()) {
            call.fail(new StreamHttpException(reason.code() == 0 ? ErrorCode.CHANNEL_CLOSED.code() : reason.code(),
                    "the SERVICE channel closed: " + reason.reason()));
        }
    }

    private void hold() {
        if (holds.getAndIncrement() == 0) {
            settle();
        }
    }

    private void release() {
        if (holds.decrementAndGet() == 0) {
            settle();
        }
    }

    /** Pauses or resumes the channel as the holds now say, on the loop, so a hold and a release from two threads cannot cross. */
    private void settle() {
        Context l = loop;
        if (l == null || (Context.isOnEventLoopThread() && Vertx.currentContext() == l)) {
            settleOnLoop();
        } else {
            l.runOnContext(v -> settleOnLoop());
        }
    }

    private void settleOnLoop() {
        boolean hold = holds.get() > 0;
        if (hold && !channel.paused()) {
            channel.pause();
        } else if (!hold && channel.paused()) {
            channel.resume();
        }
    }

    private static final class Handler implements ChannelHandler {
        volatile StreamHttpClient owner;
        volatile Context loop;

        @Override
        public void opened(Channel channel) {
            loop = Vertx.currentContext();
        }

        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            StreamHttpClient c = owner;
            if (c == null) {
                channel.fail(ErrorCode.MALFORMED_SERVICE_MESSAGE, "a SERVICE message before any request");
                return;
            }
            try {
                if (type != PacketType.DATA) {
                    throw new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, "SERVICE messages travel as DATA, not " + type);
                }
                c.on(ServiceCodec.decode(data));
            } catch (ProtocolException e) {
                channel.fail(e.code(), e.getMessage());
                c.closed(new CloseReason(e.code().code(), e.getMessage()));
            }
        }

        @Override
        public void closed(Channel channel, CloseReason reason) {
            StreamHttpClient c = owner;
            if (c != null) {
                c.closed(reason);
            }
        }
    }

    /** One request: its response's subscriber and the body bytes it has not asked for yet. */
    private final class Call<T> implements Flow.Subscription {
        /** Set on the loop when the REQUEST is written. */
        volatile int id;
        final HttpRequest request;
        final HttpResponse.BodyHandler<T> handler;
        final CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        private volatile HttpResponse.BodySubscriber<T> subscriber;
        private final ConcurrentLinkedQueue<ByteBuffer> queue = new ConcurrentLinkedQueue<>();
        private final AtomicLong demand = new AtomicLong();
        private final AtomicLong queued = new AtomicLong();
        private final AtomicInteger draining = new AtomicInteger();
        private final AtomicBoolean holding = new AtomicBoolean();
        private final AtomicBoolean over = new AtomicBoolean();
        private volatile boolean ended;
        private volatile Throwable failure;
        private volatile boolean cancelled;
        private boolean signalled;

        Call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            this.request = request;
            this.handler = handler;
        }

        void response(ServiceMessage.Response r) throws ProtocolException {
            if (subscriber != null) {
                throw new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, "a second RESPONSE for request " + Integer.toUnsignedString(id));
            }
            Map<String, List<String>> fields = new LinkedHashMap<>();
            for (ServiceMessage.Header h : r.headers()) {
                fields.computeIfAbsent(h.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.value());
            }
            HttpHeaders headers = HttpHeaders.of(fields, (name, value) -> true);
            int status = r.status();
            HttpResponse.BodySubscriber<T> s = handler.apply(new HttpResponse.ResponseInfo() {
                @Override
                public int statusCode() {
                    return status;
                }

                @Override
                public HttpHeaders headers() {
                    return headers;
                }

                @Override
                public HttpClient.Version version() {
                    return HttpClient.Version.HTTP_1_1;
                }
            });
            subscriber = s;
            s.getBody().whenComplete((body, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(new Response<>(request, status, headers, body));
                }
            });
            s.onSubscribe(this);
            if (r.end()) {
                end();
            }
        }

        void body(byte[] data) throws ProtocolException {
            if (subscriber == null) {
                throw new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, "BODY before the RESPONSE of request " + Integer.toUnsignedString(id));
            }
            if (cancelled) {
                return;
            }
            queue.add(ByteBuffer.wrap(data));
            if (queued.addAndGet(data.length) > RESPONSE_BUFFER_BYTES && holding.compareAndSet(false, true)) {
                hold();
            }
            drain();
        }

        void end() {
            ended = true;
            calls.remove(id, this);
            drain();
        }

        void fail(Throwable e) {
            failure = e;
            calls.remove(id, this);
            if (subscriber == null) {
                finish();
                result.completeExceptionally(e);
            } else {
                drain();
            }
        }

        /** The caller or the subscriber no longer wants the response: the node is told and drops the upstream request. */
        void giveUp(String why) {
            cancelled = true;
            if (calls.remove(id, this)) {
                write(ServiceCodec.encode(new ServiceMessage.Reset(id, ErrorCode.NORMAL.code(), why)));
            }
            queue.clear();
            finish();
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                cancelled = true;
                failure = new IllegalArgumentException("request(" + n + "): demand is positive");
            } else {
                demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            }
            drain();
        }

        @Override
        public void cancel() {
            giveUp("the response's subscriber cancelled");
        }

        /** Hands queued bytes to the subscriber as it asks; one thread at a time, whoever calls. */
        private void drain() {
            if (draining.getAndIncrement() != 0) {
                return;
            }
            do {
                HttpResponse.BodySubscriber<T> s = subscriber;
                if (s == null) {
                    continue;
                }
                while (!cancelled && demand.get() > 0 && !queue.isEmpty()) {
                    ByteBuffer b = queue.poll();
                    demand.decrementAndGet();
                    queued.addAndGet(-b.remaining());
                    s.onNext(List.of(b));
                }
                if (queued.get() <= RESPONSE_BUFFER_BYTES / 2 && holding.compareAndSet(true, false)) {
                    release();
                }
                if (!signalled && (failure != null || (ended && queue.isEmpty()))) {
                    signalled = true;
                    finish();
                    if (failure != null) {
                        s.onError(failure);
                    } else if (!cancelled) {
                        s.onComplete();
                    }
                }
            } while (draining.decrementAndGet() != 0);
        }

        private void finish() {
            if (holding.compareAndSet(true, false)) {
                release();
            }
        }

        boolean over() {
            return over.get() || cancelled || result.isDone() && failure != null;
        }

        void stopSending() {
            over.set(true);
        }
    }

    /**
     * Reads a request body from its publisher as the channel takes it, as BODYs of at most one
     * frame: one item at a time, and within an item no further BODY while the channel asks to
     * wait, so what the client holds is one item and the channel's send buffer.
     */
    private final class BodyWriter implements Flow.Subscriber<ByteBuffer> {
        private final Call<?> call;
        private final byte[] chunk = new byte[ServiceCodec.MAX_BODY_DATA];
        private Flow.Subscription subscription;
        /** The item being written, null between items. */
        private ByteBuffer current;
        /** The publisher completed; END goes when the item being written is done (a publisher may complete without demand). */
        private boolean completed;

        BodyWriter(Call<?> call) {
            this.call = call;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(ByteBuffer item) {
            synchronized (this) {
                current = item;
            }
            pump();
        }

        private void pump() {
            if (call.over()) {
                subscription.cancel();
                return;
            }
            synchronized (this) {
                ByteBuffer item = current;
                try {
                    while (item.hasRemaining()) {
                        int n = Math.min(item.remaining(), chunk.length);
                        item.get(chunk, 0, n);
                        if (!channel.write(PacketType.DATA, ServiceCodec.body(call.id, chunk, 0, n))) {
                            // off the loop: a publisher may read a file as it is asked for more
                            channel.whenWritable().thenRunAsync(this::pump);
                            return;
                        }
                    }
                } catch (IllegalStateException e) {
                    call.stopSending();
                    subscription.cancel();
                    return;
                }
                current = null;
                if (completed) {
                    end();
                    return;
                }
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable e) {
            call.stopSending();
            call.giveUp("the request body failed: " + e);
            call.result.completeExceptionally(new IOException("the request body failed", e));
        }

        @Override
        public void onComplete() {
            synchronized (this) {
                completed = true;
                if (current == null) {
                    end();
                }
            }
        }

        private void end() {
            if (!call.over()) {
                write(ServiceCodec.encode(new ServiceMessage.End(call.id)));
            }
        }
    }

    /** A response as {@link HttpResponse} gives it. */
    private record Response<T>(HttpRequest request, int statusCode, HttpHeaders headers, T body) implements HttpResponse<T> {
        @Override
        public Optional<HttpResponse<T>> previousResponse() {
            return Optional.empty();
        }

        /**
         * Never a TLS session: the stream is encrypted end to end, not the HTTP exchange. Raw, so
         * the client artifact names no {@code javax.net.ssl} type (it compiles without it).
         */
        @Override
        @SuppressWarnings("rawtypes")
        public Optional sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            return request.uri();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
