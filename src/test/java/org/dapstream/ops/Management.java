package org.dapstream.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A plain HTTP client for the management interface (health, metrics, admin API), the way
 * probes, Prometheus and curl reach it. Each request may use a fresh connection, so a
 * blocked event loop holding one connection does not stall the next request.
 */
public final class Management {
    public static final String TOKEN = "test-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final URI base;

    /**
     * @param anyManagementUrl a URL on the management interface (from {@code @TestHTTPResource(management = true)});
     *                         in the ITs the port {@link ManagementPortResource} chose replaces it
     */
    public Management(URL anyManagementUrl) {
        String itPort = System.getProperty(ManagementPortResource.PROPERTY);
        this.base = itPort != null ? URI.create("http://127.0.0.1:" + itPort) : origin(anyManagementUrl);
    }

    private Management(URI base) {
        this.base = base;
    }

    /** A client of another server (the public HTTP port), taken as given. */
    public static Management elsewhere(URL url) {
        return new Management(origin(url));
    }

    private static URI origin(URL url) {
        return URI.create(url.getProtocol() + "://" + url.getHost() + ":" + url.getPort());
    }

    public URI base() {
        return base;
    }

    public record Answer(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
            }
        }
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), null, REQUEST_TIMEOUT);
    }

    public Answer admin(String method, String path) {
        return admin(method, path, TOKEN, null);
    }

    /** @param token bearer token, null for none */
    public Answer admin(String method, String path, String token, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) {
            b.header("Content-Type", "application/json");
        }
        return send(b, token, REQUEST_TIMEOUT);
    }

    /** A GET with this exact Authorization header value. */
    public Answer withAuthorization(String path, String authorization) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().header("Authorization", authorization), null, REQUEST_TIMEOUT);
    }

    /** One GET on a connection of its own, failing after {@code timeout}. */
    public Answer getFresh(String path, Duration timeout) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }

    private static Answer send(HttpRequest.Builder b, String token, Duration timeout) {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        // HTTP/1.1: the JDK client's default first tries an h2c upgrade, whose first use was seen to hold the
        // answer for more than 15 s on a loaded machine; what is tested is the admin API, not the upgrade.
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        try {
            // sendAsync with our own deadline: a JDK 17 client's request timeout was seen not to
            // fire on a loaded machine, leaving send() parked forever.
            HttpResponse<String> r = client.sendAsync(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString())
                    .get(timeout.toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS);
            return new Answer(r.statusCode(), r.body(), r);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UncheckedIOException(e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer within " + timeout.plusSeconds(5), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The stream port of the node under test, as the admin API reports it. */
    public int streamPort() {
        Answer a = admin("GET", "/admin/node");
        if (a.status() != 200) {
            throw new AssertionError("GET /admin/node answered " + a.status() + ": " + a.body());
        }
        return a.json().get("streamPort").asInt();
    }
}
