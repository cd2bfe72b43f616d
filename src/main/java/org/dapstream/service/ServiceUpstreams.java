package org.dapstream.service;

import org.dapstream.protocol.ServiceRules;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where SERVICE requests may go: the node's own HTTP routes under the authority {@code node},
 * and the upstreams of the allow-list by name. Nothing else: an authority that is not here is
 * refused, so a SERVICE channel is never an open proxy.
 */
public final class ServiceUpstreams {
    private final Supplier<URI> node;
    private final Map<String, URI> named;

    /**
     * @param node  the node's own HTTP server, asked at each request (its port may be known only once it listens)
     * @param named upstreams by name: {@code http://host:port} or {@code https://host:port}
     */
    public ServiceUpstreams(Supplier<URI> node, Map<String, URI> named) {
        this.node = node;
        Map<String, URI> checked = new LinkedHashMap<>();
        named.forEach((name, uri) -> checked.put(name(name), base(name, uri)));
        this.named = Map.copyOf(checked);
    }

    /** Parses {@code name=url} entries (the {@code dap.stream.service.upstreams} key). */
    public static Map<String, URI> parse(List<String> entries) {
        Map<String, URI> out = new LinkedHashMap<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("'" + entry + "' is not name=http://host:port");
            }
            String name = name(entry.substring(0, eq).trim());
            if (out.put(name, URI.create(entry.substring(eq + 1).trim())) != null) {
                throw new IllegalArgumentException("upstream '" + name + "' is named twice");
            }
        }
        return out;
    }

    /** The base URI for {@code authority}, or null when it is not on the allow-list. */
    public URI resolve(String authority) {
        String name = authority.toLowerCase(Locale.ROOT);
        return ServiceRules.NODE.equals(name) ? node.get() : named.get(name);
    }

    /** The names of the allow-list (without {@code node}). */
    public List<String> names() {
        return named.keySet().stream().sorted().toList(); // sorted: the same list in every log line and on every node
    }

    private static String name(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || !lower.matches("[a-z0-9][a-z0-9.-]{0,254}")) {
            throw new IllegalArgumentException("upstream name '" + name + "' is not letters, digits, '.' and '-'");
        }
        if (ServiceRules.NODE.equals(lower)) {
            throw new IllegalArgumentException("upstream name 'node' is reserved for the node's own HTTP routes");
        }
        return lower;
    }

    private static URI base(String name, URI uri) {
        boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
        if (!http || uri.getHost() == null || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))
                || uri.getQuery() != null) {
            throw new IllegalArgumentException("upstream '" + name + "' is " + uri + "; an upstream is http://host:port or https://host:port");
        }
        return uri;
    }
}
