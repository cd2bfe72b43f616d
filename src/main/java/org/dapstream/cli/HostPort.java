package org.dapstream.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A node's stream endpoint on the command line, {@code host:port}; an IPv6 host in brackets, {@code [::1]:8079}. */
public record HostPort(String host, int port) {
    /** The stream port a node listens on unless configured otherwise ({@code dap.stream.tcp.port}). */
    public static final int DEFAULT_STREAM_PORT = 8079;

    /** {@code host:port}, or {@code host} alone for the default stream port. */
    public static HostPort parse(String text) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        boolean bracketed = t.startsWith("[");
        if (colon < 0 || (bracketed && colon < t.indexOf(']'))) {
            if (t.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' is not host:port (e.g. 127.0.0.1:" + DEFAULT_STREAM_PORT + ")");
            }
            return new HostPort(unbracket(t), DEFAULT_STREAM_PORT);
        }
        String host = t.substring(0, colon);
        String port = t.substring(colon + 1);
        if (host.isEmpty() || port.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not host:port (e.g. 127.0.0.1:" + DEFAULT_STREAM_PORT + ")");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' of '" + text + "' is not a number 1..65535");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " of '" + text + "' is out of range 1..65535");
        }
        return new HostPort(unbracket(host), p);
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Picocli's converter: the reason in the message, picocli adds the option and the value. */
    public static final class Converter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
