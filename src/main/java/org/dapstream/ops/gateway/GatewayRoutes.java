package org.dapstream.ops.gateway;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.dapstream.cluster.Cluster;
import org.dapstream.cluster.Clusters;
import org.dapstream.ops.ClusterEndpoint;
import org.dapstream.ops.ConfigErrors;
import org.dapstream.ops.http.BearerAuth;
import org.dapstream.ops.http.JsonReplies;
import org.dapstream.protocol.ClusterCodec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The REST gateway on the HTTP port, for applications that do not speak the protocol: list
 * the named clusters, publish to one (broadcast) or send to one member (balanced), and
 * subscribe to one as Server-Sent Events. Every route needs the gateway's bearer token.
 * What it leaves out, and why, is docs/decisions/0129-rest-gateway-scope.md. Vert.x Web
 * routes (the node has no REST framework), described by the OpenAPI document at
 * {@code /gateway/openapi}.
 */
@ApplicationScoped
public class GatewayRoutes {
    private static final System.Logger LOG = System.getLogger(GatewayRoutes.class.getName());
    static final String ROOT = "/gateway";
    static final String OPENAPI_RESOURCE = "org/dapstream/ops/gateway/openapi.json";
    static final String EVENT_STREAM = "text/event-stream";
    /** Seconds a client is asked to wait after 503 (a full link, too many subscribers). */
    static final String RETRY_AFTER_SECONDS = "1";
    /** The reconnection delay an event stream suggests to its client (SSE {@code retry:}), milliseconds. */
    static final int SSE_RETRY_MILLIS = 2000;

    /** One gateway operation: method and path in OpenAPI's template form. */
    public record Operation(HttpMethod method, String path) {
    }

    /** Every operation served, as the OpenAPI document must list them (GatewayTest checks). */
    public static final List<Operation> OPERATIONS = List.of(
            new Operation(HttpMethod.GET, ROOT + "/clusters"),
            new Operation(HttpMethod.POST, ROOT + "/clusters/{name}/publish"),
            new Operation(HttpMethod.POST, ROOT + "/clusters/{name}/send"),
            new Operation(HttpMethod.GET, ROOT + "/clusters/{name}/events"),
            new Operation(HttpMethod.GET, ROOT + "/openapi"));

    private final ClusterEndpoint endpoint;
    private final GatewayConfig config;
    private final Vertx vertx;
    private final AtomicInteger subscribers = new AtomicInteger();

    GatewayRoutes(ClusterEndpoint endpoint, GatewayConfig config, Vertx vertx) {
        this.endpoint = endpoint;
        this.config = config;
        this.vertx = vertx;
    }

    void register(@Observes Router router) {
        ConfigErrors.settings()
                .with("maxMessageBytes", "dap.stream.gateway.max-message-bytes", config.maxMessageBytes())
                .with("maxSubscribers", "dap.stream.gateway.max-subscribers", config.maxSubscribers())
                .with("subscriberBuffer", "dap.stream.gateway.subscriber-buffer", config.subscriberBuffer())
                .build(() -> checked(config));
        String openApi = loadOpenApi();
        BearerAuth auth = new BearerAuth(config.token(), "gateway", "dap.stream.gateway.token", "dap-stream-gateway");
        router.route(ROOT + "/*").handler(auth);
        router.get(ROOT + "/clusters").handler(this::list);
        router.post(ROOT + "/clusters/:name/publish").handler(rc -> withBody(rc, body -> publish(rc, body)));
        router.post(ROOT + "/clusters/:name/send").handler(rc -> withBody(rc, body -> send(rc, body)));
        router.get(ROOT + "/clusters/:name/events").handler(this::subscribe);
        router.get(ROOT + "/openapi").handler(rc -> rc.response().putHeader(HttpHeaders.CONTENT_TYPE, JsonReplies.JSON).end(openApi));
        router.route(ROOT + "/*").handler(rc -> JsonReplies.error(rc, 404,
                "no gateway operation " + rc.request().method() + " " + rc.normalizedPath() + "; see GET " + ROOT + "/openapi"));
        if (!auth.enabled()) {
            LOG.log(System.Logger.Level.DEBUG, auth.disabled());
        }
    }

    private static GatewayConfig checked(GatewayConfig c) {
        if (c.maxMessageBytes() < 1) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1, got " + c.maxMessageBytes());
        }
        if (c.maxSubscribers() < 0) {
            throw new IllegalArgumentException("maxSubscribers must be 0 or more, got " + c.maxSubscribers());
        }
        if (c.subscriberBuffer() < 1024) {
            throw new IllegalArgumentException("subscriberBuffer must be at least 1024 bytes, got " + c.subscriberBuffer());
        }
        return c;
    }

    // ---------------------------------------------------------------- operations

    private void list(RoutingContext rc) {
        Clusters clusters = clusters(rc);
        if (clusters == null) {
            return;
        }
        JsonReplies.ok(rc, 200, clusters.all().stream().map(c -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", c.name());
            view.put("id", c.id().toString());
            view.put("members", c.membersCount());
            view.put("localMembers", c.localMembersCount());
            view.put("balancer", c.balancer().configName());
            return view;
        }).toList());
    }

    private void publish(RoutingContext rc, byte[] body) {
        Cluster cluster = existing(rc);
        if (cluster == null) {
            return;
        }
        if (!endpoint.clusters().whenLinksWritable().isDone()) {
            retryLater(rc, "a link to another node is full; publish again shortly");
            return;
        }
        if (!sizeFits(rc, () -> cluster.publish(body))) {
            return;
        }
        JsonReplies.ok(rc, 202, Map.of("cluster", cluster.name(), "members", cluster.membersCount()));
    }

    private void send(RoutingContext rc, byte[] body) {
        Cluster cluster = existing(rc);
        if (cluster == null) {
            return;
        }
        String key = rc.request().getParam("key");
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        boolean[] sent = new boolean[1];
        if (!sizeFits(rc, () -> sent[0] = cluster.send(keyBytes, body))) {
            return;
        }
        if (!sent[0]) {
            JsonReplies.error(rc, 409, "cluster '" + cluster.name() + "' has no member to send to");
            return;
        }
        JsonReplies.ok(rc, 202, Map.of("cluster", cluster.name(), "members", cluster.membersCount()));
    }

    private void subscribe(RoutingContext rc) {
        Clusters clusters = clusters(rc);
        String name = name(rc);
        if (clusters == null || name == null) {
            return;
        }
        String format = rc.request().getParam("format", "base64");
        if (!format.equals("base64") && !format.equals("text")) {
            JsonReplies.error(rc, 400, "format is 'base64' (the default) or 'text' (UTF-8 payloads as text), not '" + format + "'");
            return;
        }
        if (subscribers.incrementAndGet() > config.maxSubscribers()) {
            subscribers.decrementAndGet();
            retryLater(rc, "this node serves " + config.maxSubscribers() + " event streams already (dap.stream.gateway.max-subscribers)");
            return;
        }
        HttpServerResponse response = rc.response();
        response.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, EVENT_STREAM).putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no"); // nginx: pass events on as they come
        response.setWriteQueueMaxSize(config.subscriberBuffer());
        Context context = vertx.getOrCreateContext();
        ClusterEvents events = new ClusterEvents(context, response, format.equals("text"));
        Cluster cluster = clusters.create(name);
        Cluster.Membership membership = cluster.join(events);
        response.write("retry: " + SSE_RETRY_MILLIS + "\nevent: joined\ndata: " + JsonReplies.mapper().createObjectNode()
                .put("cluster", name).put("session", Integer.toUnsignedLong(membership.session())).toString() + "\n\n");
        long timer = vertx.setPeriodic(config.keepaliveInterval().toMillis(), t -> events.keepalive());
        Runnable leave = () -> {
            if (events.close()) { // the first of the three signals below leaves; the others find it done
                membership.leave();
                vertx.cancelTimer(timer);
                subscribers.decrementAndGet();
            }
        };
        response.closeHandler(v -> leave.run());
        response.endHandler(v -> leave.run());
        rc.request().connection().closeHandler(v -> leave.run());
    }

    // ---------------------------------------------------------------- request checks

    private Clusters clusters(RoutingContext rc) {
        Clusters clusters = endpoint.clusters();
        if (clusters == null) {
            retryLater(rc, "the node is starting: its named clusters are not there yet");
        }
        return clusters;
    }

    /** The {name} of the path, checked: 1..255 bytes of UTF-8, as on the wire. */
    private static String name(RoutingContext rc) {
        String name = rc.pathParam("name");
        int bytes = name == null ? 0 : name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > ClusterCodec.MAX_NAME_BYTES) {
            JsonReplies.error(rc, 400, "a cluster name is 1.." + ClusterCodec.MAX_NAME_BYTES + " bytes of UTF-8, this one " + bytes);
            return null;
        }
        return name;
    }

    /** The named cluster of the path if this node knows it (it has members, or the node made it), else 404. */
    private Cluster existing(RoutingContext rc) {
        Clusters clusters = clusters(rc);
        String name = name(rc);
        if (clusters == null || name == null) {
            return null;
        }
        Cluster cluster = clusters.find(name);
        if (cluster == null) {
            JsonReplies.error(rc, 404, "no cluster '" + name + "' on this node: a cluster exists while it has members"
                    + " (subscribe to create it here)");
        }
        return cluster;
    }

    /** Runs {@code delivery}; a payload over the cluster's message limit is 413 with the limit. */
    private static boolean sizeFits(RoutingContext rc, Runnable delivery) {
        try {
            delivery.run();
            return true;
        } catch (IllegalArgumentException e) {
            JsonReplies.error(rc, 413, e.getMessage());
            return false;
        }
    }

    /**
     * Reads the request body, at most {@code max-message-bytes}: one announced as larger is
     * refused before it is read, one that grows past it as soon as it does (413, connection closed).
     */
    private void withBody(RoutingContext rc, Consumer<byte[]> then) {
        HttpServerRequest request = rc.request();
        int max = config.maxMessageBytes();
        if (rc.body() != null && rc.body().available()) { // another extension's body handler read it already
            Buffer read = rc.body().buffer();
            if (read != null && read.length() > max) {
                JsonReplies.error(rc, 413, tooLarge(read.length(), max));
            } else {
                then.accept(read == null ? new byte[0] : read.getBytes());
            }
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                JsonReplies.errorAndClose(rc, 400, "Content-Length '" + length + "' is not a number");
                return;
            }
            if (declared > max) {
                JsonReplies.errorAndClose(rc, 413, tooLarge(declared, max));
                return;
            }
        }
        Buffer body = Buffer.buffer();
        boolean[] refused = new boolean[1];
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                refused[0] = true;
                JsonReplies.errorAndClose(rc, 413, tooLarge(body.length() + (long) chunk.length(), max));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!refused[0]) {
                then.accept(body.getBytes());
            }
        });
        request.exceptionHandler(e -> refused[0] = true);
        request.resume();
    }

    private static String tooLarge(long size, int max) {
        return "a message body is at most " + max + " bytes (dap.stream.gateway.max-message-bytes), this one " + size + " or more";
    }

    private static void retryLater(RoutingContext rc, String why) {
        rc.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        JsonReplies.error(rc, 503, why);
    }

    private static String loadOpenApi() {
        try (InputStream in = GatewayRoutes.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the application");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
