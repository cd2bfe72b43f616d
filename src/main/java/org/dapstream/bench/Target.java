package org.dapstream.bench;

/** A remote stream node to load, {@code host:port}. */
public record Target(String host, int port) {
    /** Parses {@code host:port}; an IPv6 host goes in brackets, {@code [::1]:8079}. */
    static Target parse(String text) throws OptionException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new OptionException("--target: '" + text + "' is not host:port (e.g. 127.0.0.1:8079)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new OptionException("--target: port '" + text.substring(colon + 1) + "' is not a number 1..65535");
        }
        if (port < 1 || port > 65535) {
            throw new OptionException("--target: port " + port + " is out of range 1..65535");
        }
        return new Target(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
