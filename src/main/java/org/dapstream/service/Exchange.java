package org.dapstream.service;

import io.vertx.core.AsyncResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.protocol.ServiceCodec;
import org.dapstream.protocol.ServiceMessage;
import org.dapstream.protocol.ServiceRules;

import java.net.ConnectException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * One SERVICE request on its way through the node: the upstream request it became, the body
 * bytes held until that request is connected, and the response going back. Its methods are
 * called from the channel's loop and from the HTTP client's callbacks (the same loop when the
 * stream and the client share a Vert.x instance); the lock makes either order safe.
 */
final class Exchange {
    private final HttpService.Requests owner;
    private final ServiceMessage.Request request;
    private final URI base;
    private final long idleTimeoutMillis;
    private final long contentLength;
    private long received;
    private HttpClientRequest upstream;
    /** Body bytes that arrived before the upstream request was connected. */
    private List<Buffer> pending = new ArrayList<>();
    private long pendingBytes;
    private boolean clientEnded;
    private boolean done;
    /** True while this exchange holds the channel paused. */
    private boolean holding;

    Exchange(HttpService.Requests owner, ServiceMessage.Request request, URI base, long idleTimeoutMillis) {
        this.owner = owner;
        this.request = request;
        this.base = base;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.contentLength = ServiceRules.contentLength(request);
        this.clientEnded = request.end();
    }

    int id() {
        return request.request();
    }

    void start() {
        boolean ssl = "https".equals(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.valueOf(request.method()))
                .setHost(base.getHost())
                .setPort(port)
                .setSsl(ssl)
                .setURI(request.target())
                .setIdleTimeout(idleTimeoutMillis);
        for (ServiceMessage.Header h : request.headers()) {
            options.addHeader(h.name(), h.value());
        }
        owner.client.request(options).onComplete(this::connected);
    }

    private void connected(AsyncResult<HttpClientRequest> result) {
        if (result.failed()) {
            fail(ErrorCode.SERVICE_UPSTREAM_FAILED, describe(result.cause()));
            return;
        }
        HttpClientRequest req = result.result();
        synchronized (this) {
            if (done) {
                req.exceptionHandler(e -> { }); // the reset's own report: the request was given up already
                req.reset();
                return;
            }
            upstream = req;
            if (contentLength < 0 && !request.end()) {
                req.setChunked(true); // no length given: the node frames the body itself
            }
            req.response().onComplete(this::response);
            req.exceptionHandler(e -> fail(ErrorCode.SERVICE_UPSTREAM_FAILED, describe(e)));
            req.drainHandler(v -> release());
            for (Buffer b : pending) {
                req.write(b);
            }
            pending = null;
            pendingBytes = 0;
            if (clientEnded) {
                req.end();
                releaseHold();
            } else if (req.writeQueueFull()) {
                hold();
            } else {
                releaseHold();
            }
        }
    }

    /** The client's next body bytes; more than its Content-Length refuses the request. */
    void body(byte[] data) throws ProtocolException {
        synchronized (this) {
            if (clientEnded) {
                throw HttpService.malformed("BODY of request " + Integer.toUnsignedString(id()) + " after its END");
            }
            if (done) {
                return;
            }
            received += data.length;
            if (contentLength >= 0 && received > contentLength) {
                refuse("the body is longer than its Content-Length " + contentLength);
                return;
            }
            Buffer b = Buffer.buffer(data);
            if (upstream == null) {
                pending.add(b);
                pendingBytes += data.length;
                if (pendingBytes > HttpService.PENDING_BODY_BYTES) {
                    hold();
                }
                return;
            }
            upstream.write(b);
            if (upstream.writeQueueFull()) {
                hold();
            }
        }
    }

    void end() throws ProtocolException {
        synchronized (this) {
            if (clientEnded) {
                throw HttpService.malformed("a second END of request " + Integer.toUnsignedString(id()));
            }
            clientEnded = true;
            if (done) {
                return;
            }
            if (contentLength >= 0 && received != contentLength) {
                refuse("the body is " + received + " bytes, its Content-Length " + contentLength);
                return;
            }
            if (upstream != null) {
                upstream.end();
            }
        }
    }

    private void response(AsyncResult<HttpClientResponse> result) {
        if (result.failed()) {
            fail(ErrorCode.SERVICE_UPSTREAM_FAILED, describe(result.cause()));
            return;
        }
        HttpClientResponse resp = result.result();
        List<ServiceMessage.Header> headers = new ArrayList<>();
        for (Map.Entry<String, String> h : resp.headers()) {
            if (!ServiceRules.hopByHop(h.getKey())) {
                headers.add(new ServiceMessage.Header(h.getKey(), h.getValue()));
            }
        }
        byte[] head;
        try {
            head = ServiceCodec.encode(new ServiceMessage.Response(id(), false, resp.statusCode(), headers));
        } catch (IllegalArgumentException e) {
            resp.request().reset();
            fail(ErrorCode.SERVICE_UPSTREAM_FAILED, "the upstream's response cannot be carried: " + e.getMessage());
            return;
        }
        synchronized (this) {
            if (done) {
                resp.request().reset();
                return;
            }
        }
        owner.write(head);
        resp.exceptionHandler(e -> fail(ErrorCode.SERVICE_UPSTREAM_FAILED, "the response body broke off: " + describe(e)));
        resp.handler(buffer -> forward(resp, buffer));
        resp.endHandler(v -> {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                if (!clientEnded && upstream != null) {
                    upstream.reset(); // answered before the client finished its body: the rest is not wanted
                }
                releaseHold();
            }
            owner.write(ServiceCodec.encode(new ServiceMessage.End(id())));
            owner.finished(this);
        });
    }

    /** One buffer of the response body, as BODYs of at most one frame; a full channel pauses the upstream response. */
    private void forward(HttpClientResponse resp, Buffer buffer) {
        if (isDone()) {
            return;
        }
        byte[] bytes = buffer.getBytes();
        boolean writable = true;
        for (int at = 0; at < bytes.length; at += ServiceCodec.MAX_BODY_DATA) {
            writable = owner.write(ServiceCodec.body(id(), bytes, at, Math.min(ServiceCodec.MAX_BODY_DATA, bytes.length - at)));
        }
        if (!writable) {
            resp.pause();
            owner.channel.whenWritable().thenRun(resp::resume);
        }
    }

    /** The client gave the request up, or the channel ended. */
    void cancel() {
        HttpClientRequest req;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            req = upstream;
            releaseHold();
        }
        if (req != null) {
            req.reset();
        }
        owner.finished(this);
    }

    private void refuse(String reason) {
        fail(ErrorCode.SERVICE_BAD_REQUEST, reason);
    }

    private void fail(ErrorCode code, String reason) {
        HttpClientRequest req;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            req = upstream;
            releaseHold();
        }
        if (req != null) {
            req.reset();
        }
        owner.reset(id(), code, reason);
        owner.finished(this);
    }

    private synchronized boolean isDone() {
        return done;
    }

    private synchronized void hold() {
        if (!holding && !done) {
            holding = true;
            owner.hold();
        }
    }

    private void release() {
        synchronized (this) {
            releaseHold();
        }
    }

    private void releaseHold() {
        if (holding) {
            holding = false;
            owner.release();
        }
    }

    private String describe(Throwable failure) {
        String upstreamName = "upstream '" + request.authority() + "' (" + base.getHost() + ":" + base.getPort() + ")";
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return upstreamName + " refused the connection or could not be reached: " + t.getMessage();
            }
            if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return upstreamName + " did not answer within " + idleTimeoutMillis + " ms (dap.stream.service.idle-timeout)";
            }
        }
        return upstreamName + " failed: " + failure;
    }
}
