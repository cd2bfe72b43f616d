package org.dapstream.service;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.ServiceCodec;
import org.dapstream.protocol.ServiceMessage;
import org.dapstream.protocol.ServiceRules;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's side of SERVICE channels (PROTOCOL.md section 31): each REQUEST a client sends is
 * forwarded with the Vert.x HTTP client to the node's own HTTP routes (authority {@code node})
 * or to an upstream of the allow-list, and the response comes back as RESPONSE, BODYs and END.
 * Many requests run at once on a channel, up to {@link ServiceLimits#maxRequestsPerChannel()}.
 * A request that breaks {@link ServiceRules}, names an unknown upstream, has too large a head,
 * or whose upstream fails gets a RESET with its code and the channel goes on; a malformed or
 * out-of-turn message ends the channel with MALFORMED_SERVICE_MESSAGE.
 *
 * <p>Memory is bounded both ways: a response body is read from the upstream only while the
 * channel takes it (the upstream response is paused when a write reports back-pressure), and
 * the channel is paused while an upstream request cannot take more of its body, so the client
 * stops at the channel window.
 */
public final class HttpService implements ChannelService, AutoCloseable {
    /**
     * Request body bytes held for an upstream request whose connection is not up yet; past it
     * the channel is paused until the connection takes them.
     */
    static final int PENDING_BODY_BYTES = 256 * 1024;

    private final ServiceUpstreams upstreams;
    private final ServiceLimits limits;
    /** One HTTP client (and connection pool) per Vert.x instance that runs streams; usually one. */
    private final Map<Vertx, HttpClient> clients = new ConcurrentHashMap<>();

    public HttpService(ServiceUpstreams upstreams, ServiceLimits limits) {
        this.upstreams = upstreams;
        this.limits = limits;
    }

    @Override
    public ChannelType type() {
        return ChannelType.SERVICE;
    }

    @Override
    public void opened(Channel channel) {
        Context loop = Vertx.currentContext();
        if (loop == null) {
            throw new IllegalStateException("SERVICE channels are served on a Vert.x event loop");
        }
        channel.attach(new Requests(channel, loop, clients.computeIfAbsent(loop.owner(), this::client)));
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        Requests requests = (Requests) channel.attachment();
        try {
            if (type != PacketType.DATA) {
                throw malformed("SERVICE messages travel as DATA, not " + type);
            }
            requests.on(data);
        } catch (ProtocolException e) {
            requests.stop();
            channel.fail(e.code(), e.getMessage());
        }
    }

    @Override
    public void closed(Channel channel, CloseReason reason) {
        if (channel.attachment() instanceof Requests requests) {
            requests.stop();
        }
    }

    /** Closes the HTTP clients and their connections. */
    @Override
    public void close() {
        clients.values().forEach(HttpClient::close);
        clients.clear();
    }

    private HttpClient client(Vertx vertx) {
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, limits.connectTimeout().toMillis()))
                .setKeepAlive(true)
                .setDecompressionSupported(false); // bodies pass through as the upstream encoded them
        return vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(limits.maxConnectionsPerUpstream()));
    }

    static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, message);
    }

    /** One channel's requests. The request ids and the decisions run on the channel's loop. */
    final class Requests {
        final Channel channel;
        final Context loop;
        final HttpClient client;
        final Map<Integer, Exchange> active = new ConcurrentHashMap<>();
        /** The highest request id started (unsigned), -1 before the first. */
        private long lastId = -1;
        /** Exchanges that want the channel paused (an upstream that cannot take more of a request body). */
        private final AtomicInteger holds = new AtomicInteger();

        Requests(Channel channel, Context loop, HttpClient client) {
            this.channel = channel;
            this.loop = loop;
            this.client = client;
        }

        void on(ByteBuffer data) throws ProtocolException {
            if (ServiceCodec.kindOf(data) == ServiceMessage.KIND_REQUEST && data.remaining() > limits.maxHeaderBytes()) {
                int id = (int) ServiceCodec.requestOf(data); // a message this long carries an id
                start(id);
                reset(id, ErrorCode.SERVICE_HEADERS_TOO_LARGE, "the request head is " + data.remaining()
                        + " bytes; this node takes at most " + limits.maxHeaderBytes() + " (dap.stream.service.max-header-bytes)");
                return;
            }
            ServiceMessage m = ServiceCodec.decode(data);
            if (m instanceof ServiceMessage.Request r) {
                request(r);
                return;
            }
            if (m instanceof ServiceMessage.Response) {
                throw malformed("RESPONSE is sent by the node, not to it");
            }
            Exchange e = active.get(m.request());
            if (e == null) {
                if (Integer.toUnsignedLong(m.request()) <= lastId) {
                    return; // of a request refused, reset or answered already: what was on its way is dropped
                }
                throw malformed(m.getClass().getSimpleName().toUpperCase() + " of request " + Integer.toUnsignedString(m.request())
                        + ", which was never started");
            }
            if (m instanceof ServiceMessage.Body body) {
                e.body(body.data());
            } else if (m instanceof ServiceMessage.End) {
                e.end();
            } else {
                e.cancel(); // the client gave the request up
            }
        }

        /** Request ids rise on a channel, so a late message of a finished request is told from a bogus one without a list. */
        private void start(int id) throws ProtocolException {
            long unsigned = Integer.toUnsignedLong(id);
            if (unsigned <= lastId) {
                throw malformed("REQUEST " + unsigned + " is not above the last request id " + lastId + " of this channel");
            }
            lastId = unsigned;
        }

        private void request(ServiceMessage.Request r) throws ProtocolException {
            start(r.request());
            if (active.size() >= limits.maxRequestsPerChannel()) {
                reset(r.request(), ErrorCode.SERVICE_REQUEST_LIMIT, active.size() + " requests are under way on this channel, the most it takes"
                        + " (dap.stream.service.max-requests-per-channel); wait for one or open another channel");
                return;
            }
            ServiceRules.Refusal refusal = ServiceRules.check(r);
            if (refusal != null) {
                reset(r.request(), refusal.code(), refusal.reason());
                return;
            }
            URI base = upstreams.resolve(r.authority());
            if (base == null) {
                reset(r.request(), ErrorCode.SERVICE_UPSTREAM_REFUSED, "no upstream '" + r.authority()
                        + "' on this node's allow-list (dap.stream.service.upstreams)");
                return;
            }
            Exchange e = new Exchange(this, r, base, limits.idleTimeout().toMillis());
            active.put(r.request(), e);
            e.start();
        }

        void reset(int id, ErrorCode code, String reason) {
            write(ServiceCodec.encode(new ServiceMessage.Reset(id, code.code(), reason)));
        }

        /** False when the channel asks the writer to wait; a closed channel takes nothing, silently (nobody is left to tell). */
        boolean write(byte[] message) {
            try {
                return channel.write(PacketType.DATA, message);
            } catch (IllegalStateException e) {
                return true;
            }
        }

        void finished(Exchange e) {
            active.remove(e.id(), e);
        }

        void hold() {
            if (holds.getAndIncrement() == 0) {
                settle();
            }
        }

        void release() {
            if (holds.decrementAndGet() == 0) {
                settle();
            }
        }

        /** Pauses or resumes the channel as the holds now say, on the loop, so a hold and a release from two threads cannot cross. */
        private void settle() {
            if (Context.isOnEventLoopThread() && Vertx.currentContext() == loop) {
                settleOnLoop();
            } else {
                loop.runOnContext(v -> settleOnLoop());
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

        void stop() {
            active.values().forEach(Exchange::cancel);
            active.clear();
        }
    }
}
