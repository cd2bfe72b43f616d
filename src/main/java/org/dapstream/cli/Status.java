package org.dapstream.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code status}: what a node is doing, from its admin API on the management interface (the
 * bearer token of {@code dap.stream.admin.token}; docs/ADMIN.md): the node, its streams, its
 * sessions and, when it is clustered, its members and links. {@code --json} prints the API's
 * own documents instead, one per line, for scripts.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Shows a node's streams, sessions and cluster members (admin API, management port).",
            "The token: --token-file FILE, or the environment variable " + Status.TOKEN_ENV + " (as the node reads it), or --token."},
        footer = {"", "Exit status: 0 shown, 1 the node did not answer or refused the token, 2 bad options."})
public final class Status implements Callable<Integer> {
    /** The environment variable a node reads {@code dap.stream.admin.token} from: one name for both sides. */
    public static final String TOKEN_ENV = "DAP_STREAM_ADMIN_TOKEN";
    /** The management interface of a node run with the defaults ({@code quarkus.management.port}). */
    public static final String DEFAULT_ADMIN = "http://127.0.0.1:9000";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--admin", paramLabel = "URL",
            description = "the node's management interface (default " + DEFAULT_ADMIN + ", quarkus.management.port)")
    String admin = DEFAULT_ADMIN;

    @Option(names = "--token-file", paramLabel = "FILE", description = "a file holding the admin token (its first line)")
    Path tokenFile;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "the admin token itself (other users can see it in the process list: prefer --token-file or " + TOKEN_ENV + ")")
    String token;

    @Option(names = "--json", description = "print the admin API's JSON documents (node, streams, sessions, cluster), one per line")
    boolean json;

    @Option(names = {"-W", "--timeout"}, paramLabel = "D", converter = Durations.class, description = "how long each request may take (default 5s)")
    Duration timeout = DEFAULT_TIMEOUT;

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;

    public Status() {
        this(System.out, System.err);
    }

    public Status(PrintStream out, PrintStream err) {
        this(out, err, System.getenv());
    }

    Status(PrintStream out, PrintStream err, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
    }

    /** A request the node did not answer as asked: the message says what to check. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        URI base = base();
        String bearer = token();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        try {
            JsonObject node = new JsonObject(get(http, base, bearer, "/admin/node"));
            JsonArray streams = new JsonArray(get(http, base, bearer, "/admin/streams"));
            JsonArray sessions = new JsonArray(get(http, base, bearer, "/admin/sessions"));
            JsonObject cluster = new JsonObject(get(http, base, bearer, "/admin/cluster"));
            if (json) {
                out.println(node.encode());
                out.println(streams.encode());
                out.println(sessions.encode());
                out.println(cluster.encode());
            } else {
                print(node, streams, sessions, cluster);
            }
            return Commands.EXIT_OK;
        } catch (Refused e) {
            err.println("status: " + e.getMessage());
            return Commands.EXIT_FAILED;
        }
    }

    private URI base() {
        try {
            URI uri = URI.create(admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not http(s)://host:port");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--admin: '" + admin + "' is not a URL like " + DEFAULT_ADMIN);
        }
    }

    /** The token from --token-file, --token or the environment, in that order; a usage error when there is none. */
    private String token() {
        if (tokenFile != null) {
            try {
                String first = Files.readString(tokenFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
                if (first.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "--token-file " + tokenFile + " is empty; it should hold the admin token");
                }
                return first;
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--token-file " + tokenFile + " cannot be read: " + e.getMessage());
            }
        }
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        String env = environment.get(TOKEN_ENV);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        throw new ParameterException(spec.commandLine(), "no admin token: give --token-file FILE, set " + TOKEN_ENV
                + ", or --token TOKEN (the node's dap.stream.admin.token)");
    }

    private String get(HttpClient http, URI base, String bearer, String path) throws Refused, InterruptedException {
        URI uri = URI.create(base + path);
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + bearer).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new Refused("nothing answers at " + base + ": is the node running, and is that its management port "
                    + "(quarkus.management.port, default 9000)?");
        } catch (IOException e) {
            throw new Refused("GET " + uri + " failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        }
        return switch (r.statusCode()) {
            case 200 -> r.body();
            case 401, 403 -> throw new Refused("the admin API refused the token (" + r.statusCode() + " " + errorText(r.body())
                    + "): give the node's dap.stream.admin.token");
            case 404 -> throw new Refused("GET " + uri + ": 404; is " + base + " a DAP Stream node's management interface?");
            default -> throw new Refused("GET " + uri + ": " + r.statusCode() + " " + errorText(r.body()));
        };
    }

    private static String errorText(String body) {
        try {
            return new JsonObject(body).getString("error", body);
        } catch (RuntimeException e) {
            return body;
        }
    }

    private void print(JsonObject node, JsonArray streams, JsonArray sessions, JsonObject cluster) {
        out.printf(Locale.ROOT, "node %s  stream port %d  %s  streams %d  sessions %d%n", node.getString("node"),
                node.getInteger("streamPort", 0), node.getBoolean("draining", false) ? "DRAINING" : "serving",
                node.getLong("streams", 0L), node.getInteger("sessions", 0));
        out.println();
        out.println("streams (" + streams.size() + ")");
        if (!streams.isEmpty()) {
            out.printf(Locale.ROOT, "  %-6s %-8s %-8s %-20s %-22s %-12s %10s %10s%n", "id", "role", "state", "peer", "remote", "suite",
                    "sent", "received");
        }
        for (Object o : streams) {
            JsonObject s = (JsonObject) o;
            JsonObject stats = s.getJsonObject("stats", new JsonObject());
            out.printf(Locale.ROOT, "  %-6d %-8s %-8s %-20s %-22s %-12s %10s %10s%n", s.getInteger("id", 0), s.getString("role", ""),
                    s.getString("state", ""), s.getString("peerNode", "-"), s.getString("remoteAddress", "-"),
                    s.getString("suite", "plaintext"), bytes(stats.getLong("bytesSent", 0L)), bytes(stats.getLong("bytesReceived", 0L)));
        }
        out.println();
        out.println("sessions (" + sessions.size() + ")");
        for (Object o : sessions) {
            JsonObject s = (JsonObject) o;
            out.printf(Locale.ROOT, "  %-12d node %-20s streams %s%s%n", s.getLong("id", 0L), s.getString("node", "-"),
                    s.getJsonArray("streams", new JsonArray()).encode(), s.getBoolean("active", true) ? "" : " (inactive)");
        }
        out.println();
        JsonObject discovery = cluster.getJsonObject("discovery", new JsonObject());
        JsonArray members = cluster.getJsonArray("members", new JsonArray());
        JsonArray links = cluster.getJsonArray("links", new JsonArray());
        out.println("cluster: discovery " + discovery.getString("mode", "-") + (discovery.getString("problem") != null
                ? " (" + discovery.getString("problem") + ")" : "") + ", " + members.size() + " members, " + links.size() + " links");
        for (Object o : members) {
            JsonObject m = (JsonObject) o;
            out.printf(Locale.ROOT, "  %-22s %-10s link %-10s node %s%s%n", m.getString("endpoint", "-"), m.getString("state", "-"),
                    m.getString("link", "-"), m.getString("node", "-"), m.getString("problem") != null ? "  problem: " + m.getString("problem") : "");
        }
    }

    /** Bytes in the unit that keeps the number short. */
    static String bytes(long n) {
        if (n < 10_000) {
            return n + " B";
        }
        if (n < 10_000_000) {
            return n / 1000 + " kB";
        }
        return n / 1_000_000 + " MB";
    }
}
