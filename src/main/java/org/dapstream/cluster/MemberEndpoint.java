package org.dapstream.cluster;

/**
 * Where a member node accepts cluster links: a host (name or literal address) and its
 * cluster port. Discovery finds these; the node address behind one is learned only when a
 * link's handshake proves it.
 */
public record MemberEndpoint(String host, int port) implements Comparable<MemberEndpoint> {
    public MemberEndpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("a member endpoint needs a host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("a member endpoint's port is 1..65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port}; an IPv6 literal is written in brackets, {@code [::1]:8078}.
     *
     * @throws IllegalArgumentException saying what is wrong with the text
     */
    public static MemberEndpoint parse(String text) {
        String t = text == null ? "" : text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("'" + t + "' is not host:port");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("'" + t + "': write an IPv6 address in brackets, [::1]:8078");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + t + "': the port is not a number");
        }
        return new MemberEndpoint(host, port);
    }

    @Override
    public int compareTo(MemberEndpoint o) {
        int c = host.compareTo(o.host);
        return c != 0 ? c : Integer.compare(port, o.port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
