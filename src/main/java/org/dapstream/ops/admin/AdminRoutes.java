package org.dapstream.ops.admin;

import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.dapstream.ops.ClusterEndpoint;
import org.dapstream.ops.DrainState;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.ops.http.BearerAuth;
import org.dapstream.ops.http.JsonReplies;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Channel;
import org.dapstream.stream.FrameTrace;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.transport.StreamServer;
import org.eclipse.microprofile.config.ConfigProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin API, on the Quarkus management interface only (port 9000 by default, beside
 * {@code /q/health} and {@code /q/metrics}), never on the stream or public HTTP port.
 * Quarkus REST resources cannot be placed there (the management-interface guide: only
 * extensions declare management endpoints; applications add Vert.x Web routes to its
 * router), so these are Vert.x Web routes, described by the hand-written OpenAPI document
 * served at {@code /admin/openapi}. Every route requires the bearer token ({@link BearerAuth}).
 */
@ApplicationScoped
public class AdminRoutes {
    private static final System.Logger LOG = System.getLogger(AdminRoutes.class.getName());
    static final String ROOT = "/admin";
    static final String OPENAPI_RESOURCE = "org/dapstream/ops/admin/openapi.json";
    /**
     * The management interface's body limit: Quarkus's body handler for that interface runs
     * before any route an application adds (it is installed first, at the lowest order), reads
     * every admin body, and refuses one over this limit with 413, from its Content-Length before
     * reading it, or as soon as a chunked body passes it. application.properties sets it to
     * {@link #MAX_BODY_BYTES} (Quarkus's own default is 10M).
     */
    static final String BODY_LIMIT_KEY = "quarkus.management.limits.max-body-size";
    /** Largest request body the admin API reads by default (its bodies are a few bytes of JSON). */
    static final long MAX_BODY_BYTES = 4096;
    /** Most digits of an id in a path: a session id is unsigned 32-bit (10 digits). */
    private static final int MAX_ID_DIGITS = 10;

    /** One admin operation: method and path in OpenAPI's template form. */
    public record Operation(HttpMethod method, String path) {
    }

    /** Every operation served, as the OpenAPI document must list them (AdminOpenApiTest checks). */
    public static final List<Operation> OPERATIONS = List.of(
            new Operation(HttpMethod.GET, ROOT + "/node"),
            new Operation(HttpMethod.GET, ROOT + "/streams"),
            new Operation(HttpMethod.GET, ROOT + "/streams/{id}"),
            new Operation(HttpMethod.GET, ROOT + "/sessions"),
            new Operation(HttpMethod.GET, ROOT + "/sessions/{id}"),
            new Operation(HttpMethod.DELETE, ROOT + "/sessions/{id}"),
            new Operation(HttpMethod.GET, ROOT + "/channels"),
            new Operation(HttpMethod.GET, ROOT + "/cluster"),
            new Operation(HttpMethod.GET, ROOT + "/trace"),
            new Operation(HttpMethod.PUT, ROOT + "/trace"),
            new Operation(HttpMethod.GET, ROOT + "/openapi"));

    private final StreamEndpoint endpoint;
    private final ClusterEndpoint cluster;
    private final DrainState drain;
    private final AdminConfig config;

    AdminRoutes(StreamEndpoint endpoint, ClusterEndpoint cluster, DrainState drain, AdminConfig config) {
        this.endpoint = endpoint;
        this.cluster = cluster;
        this.drain = drain;
        this.config = config;
    }

    void register(@Observes ManagementInterface management) {
        JsonReplies.warmUp(new AdminViews.NodeView(null, 0, false, 0, 0, false), Map.of("error", ""),
                ClusterViews.of(null, cluster), new AdminViews.TraceView(false));
        Router router = management.router();
        String openApi = loadOpenApi();
        long bodyLimit = bodyLimit();
        if (bodyLimit > MAX_BODY_BYTES) {
            LOG.log(System.Logger.Level.WARNING, BODY_LIMIT_KEY + " is " + bodyLimit + " bytes: the admin API reads bodies up to that, "
                    + MAX_BODY_BYTES + " bytes are enough for it");
        }
        // The body handler's 413 (see BODY_LIMIT_KEY) as a JSON answer; first of the failure handlers.
        router.route(ROOT + "/*").order(Integer.MIN_VALUE).failureHandler(rc -> bodyRefused(rc, bodyLimit));
        BearerAuth auth = new BearerAuth(config.token(), "admin API", "dap.stream.admin.token", "dap-stream-admin");
        router.route(ROOT + "/*").handler(auth);
        router.get(ROOT + "/node").handler(this::node);
        router.get(ROOT + "/streams").handler(this::streams);
        router.get(ROOT + "/streams/:id").handler(this::stream);
        router.get(ROOT + "/sessions").handler(this::sessions);
        router.get(ROOT + "/sessions/:id").handler(this::session);
        router.delete(ROOT + "/sessions/:id").handler(this::closeSession);
        router.get(ROOT + "/channels").handler(this::channels);
        router.get(ROOT + "/cluster").handler(rc -> JsonReplies.ok(rc, 200, ClusterViews.of(endpoint.node(), cluster)));
        router.get(ROOT + "/trace").handler(rc -> JsonReplies.ok(rc, 200, new AdminViews.TraceView(FrameTrace.enabled())));
        router.put(ROOT + "/trace").handler(this::setTrace);
        router.get(ROOT + "/openapi").handler(rc -> rc.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, JsonReplies.JSON).end(openApi));
        // Last: anything else under /admin gets a JSON answer, not the default HTML page.
        router.route(ROOT + "/*").handler(rc -> JsonReplies.error(rc, 404,
                "no admin operation " + rc.request().method() + " " + rc.normalizedPath() + "; see GET " + ROOT + "/openapi"));
        if (config.token().filter(t -> !t.isBlank()).isEmpty()) {
            LOG.log(System.Logger.Level.INFO, auth.disabled());
        }
    }

    private void node(RoutingContext rc) {
        StreamServer server = endpoint.server();
        NodeAddress node = endpoint.node();
        JsonReplies.ok(rc, 200, new AdminViews.NodeView(node == null ? null : node.toString(),
                server == null ? -1 : server.port(), drain.draining(), endpoint.counters().liveStreams().size(),
                endpoint.sessions().size(), FrameTrace.enabled()));
    }

    private void streams(RoutingContext rc) {
        JsonReplies.ok(rc, 200, liveStreams().stream().map(s -> AdminViews.stream(s, false)).toList());
    }

    private void stream(RoutingContext rc) {
        Integer id = streamId(rc);
        if (id == null) {
            return;
        }
        Optional<Stream> found = liveStreams().stream().filter(s -> s.id() == id).findFirst();
        if (found.isEmpty()) {
            JsonReplies.error(rc, 404, "no live stream " + id);
            return;
        }
        JsonReplies.ok(rc, 200, AdminViews.stream(found.get(), true));
    }

    private void sessions(RoutingContext rc) {
        List<Session> all = new ArrayList<>(endpoint.sessions().all());
        all.sort(Comparator.comparingLong(Session::createTime));
        JsonReplies.ok(rc, 200, all.stream().map(s -> AdminViews.session(s, owner(), false)).toList());
    }

    private void session(RoutingContext rc) {
        Session s = sessionOrAnswer(rc);
        if (s != null) {
            JsonReplies.ok(rc, 200, AdminViews.session(s, owner(), true));
        }
    }

    private void closeSession(RoutingContext rc) {
        Session s = sessionOrAnswer(rc);
        if (s == null) {
            return;
        }
        List<Integer> streams = s.streams().stream().map(Stream::id).toList();
        LOG.log(System.Logger.Level.INFO, "admin API: closing " + s);
        endpoint.sessions().delete(s);
        // 202: each stream sends CLOSE now and ends when its peer answers (or its keepalive timeout passes).
        JsonReplies.ok(rc, 202, new AdminViews.SessionClosing(AdminViews.sessionId(s.id()), streams));
    }

    private void channels(RoutingContext rc) {
        List<AdminViews.ChannelView> out = new ArrayList<>();
        for (Stream s : liveStreams()) {
            for (Channel ch : s.channels()) {
                out.add(AdminViews.channel(ch));
            }
        }
        JsonReplies.ok(rc, 200, out);
    }

    private void setTrace(RoutingContext rc) {
        JsonObject body;
        try {
            body = rc.body().asJsonObject();
        } catch (DecodeException | ClassCastException e) {
            JsonReplies.error(rc, 400, "body must be a JSON object {\"enabled\": true|false}");
            return;
        }
        Object enabled = body == null ? null : body.getValue("enabled");
        if (!(enabled instanceof Boolean on)) {
            JsonReplies.error(rc, 400, "body must be a JSON object {\"enabled\": true|false}, got " + (body == null ? "no body" : body.encode()));
            return;
        }
        FrameTrace.enable(on);
        LOG.log(System.Logger.Level.INFO, "admin API: frame tracing " + (on ? "on" : "off"));
        JsonReplies.ok(rc, 200, new AdminViews.TraceView(FrameTrace.enabled()));
    }

    private List<Stream> liveStreams() {
        List<Stream> all = endpoint.counters().liveStreams();
        all.sort(Comparator.comparingInt(Stream::id));
        return all;
    }

    /** A failure of the body handler: 413 for a body over the limit, the connection closed (its rest is unread). */
    private static void bodyRefused(RoutingContext rc, long limit) {
        if (rc.response().ended() || rc.response().closed() || rc.failure() instanceof HttpClosedException) {
            // A client that went away mid-body, or the close after our own 413: nothing to answer,
            // and nothing for the error log (any client can do it).
            LOG.log(System.Logger.Level.DEBUG, () -> "admin request ended before its body: " + rc.failure());
        } else if (rc.statusCode() == 413) {
            JsonReplies.errorAndClose(rc, 413, "request body larger than " + limit + " bytes; admin requests take at most "
                    + limit + " bytes of JSON");
        } else {
            rc.next();
        }
    }

    /** The body limit in force on the management interface, in bytes. */
    private static long bodyLimit() {
        return ConfigProvider.getConfig().getOptionalValue(BODY_LIMIT_KEY, String.class)
                .map(v -> new MemorySizeConverter().convert(v).asLongValue())
                .orElse(10L * 1024 * 1024); // Quarkus's default when the key is unset
    }

    /**
     * An id as written in the API: plain ASCII decimal digits only (no sign, no spaces, no other
     * script's digits, all of which {@link Long#parseLong} accepts), or -1.
     */
    static long decimalId(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > MAX_ID_DIGITS) {
            return -1;
        }
        long id = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            id = id * 10 + (c - '0');
        }
        return id;
    }

    /** The {@code id} path parameter as a stream id, or null after answering 400. */
    private static Integer streamId(RoutingContext rc) {
        String raw = rc.pathParam("id");
        long id = decimalId(raw);
        if (id > 0 && id <= Integer.MAX_VALUE) {
            return (int) id;
        }
        JsonReplies.error(rc, 400, "stream id must be a positive decimal integer, got '" + raw + "'");
        return null;
    }

    /** The session named by the {@code id} path parameter, or null after answering 400 or 404. */
    private Session sessionOrAnswer(RoutingContext rc) {
        String raw = rc.pathParam("id");
        long id = decimalId(raw);
        if (id <= 0 || id > 0xFFFF_FFFFL) {
            JsonReplies.error(rc, 400, "session id must be a decimal integer from 1 to 4294967295, got '" + raw + "'");
            return null;
        }
        Session s = endpoint.sessions().find((int) id);
        if (s == null) {
            JsonReplies.error(rc, 404, "no session " + id);
        }
        return s;
    }

    private static String loadOpenApi() {
        try (InputStream in = AdminRoutes.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The node that holds this node's sessions: this one, by its address. */
    private String owner() {
        NodeAddress node = endpoint.node();
        return node == null ? "" : node.toString();
    }
}
