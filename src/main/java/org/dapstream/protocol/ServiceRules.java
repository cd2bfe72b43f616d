package org.dapstream.protocol;

import java.util.Locale;
import java.util.Set;

/**
 * What makes a SERVICE REQUEST one the node may forward (PROTOCOL.md section 31.3). The head
 * travels as separate fields, never as HTTP/1.1 text, and these rules keep it so on the way
 * out: a method and header names that are RFC 9110 tokens, header values without CR, LF, NUL
 * or other controls, an origin-form target, no hop-by-hop field (the node frames the upstream
 * request itself), at most one Content-Length of digits only. A request that breaks one is
 * refused with {@link ErrorCode#SERVICE_BAD_REQUEST} and the channel goes on: nothing a client
 * sends can make the node write a second request or a body boundary of its choosing.
 */
public final class ServiceRules {
    /** The authority that names the node's own HTTP routes. */
    public static final String NODE = "node";
    /**
     * Fields that describe one HTTP/1.1 connection, not the request (RFC 9110 section 7.6.1),
     * and {@code host}, which the authority field replaces; {@code proxy-*} is refused too.
     */
    public static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer", "host", "expect");
    /** Longest Content-Length value in digits (2^63 - 1 has 19). */
    static final int MAX_CONTENT_LENGTH_DIGITS = 18;

    private ServiceRules() {
    }

    /** Why a request breaks the rules: the code to answer with and a reason naming the field. */
    public record Refusal(ErrorCode code, String reason) {
    }

    /** True for a field never carried across (a request with one is refused, a response's is dropped). */
    public static boolean hopByHop(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return HOP_BY_HOP.contains(lower) || lower.startsWith("proxy-");
    }

    /** Null when {@code r} may be forwarded, else why not. */
    public static Refusal check(ServiceMessage.Request r) {
        if (!token(r.method())) {
            return bad("method '" + printable(r.method()) + "' is not an RFC 9110 token");
        }
        if (!originForm(r.target())) {
            return bad("target '" + printable(r.target()) + "' is not a path and query (origin-form: '/' then visible ASCII, no '#')");
        }
        String contentLength = null;
        for (ServiceMessage.Header h : r.headers()) {
            if (!token(h.name())) {
                return bad("header name '" + printable(h.name()) + "' is not an RFC 9110 token");
            }
            if (!fieldValue(h.value())) {
                return bad("header '" + h.name() + "' value has CR, LF, NUL, another control or edge whitespace");
            }
            if (hopByHop(h.name())) {
                return bad("header '" + h.name() + "' is hop-by-hop or connection-specific; the node frames the upstream request itself");
            }
            if (h.name().equalsIgnoreCase("content-length")) {
                if (contentLength != null) {
                    return bad("more than one Content-Length");
                }
                if (!digits(h.value())) {
                    return bad("Content-Length '" + h.value() + "' is not 1.." + MAX_CONTENT_LENGTH_DIGITS + " digits");
                }
                contentLength = h.value();
            }
        }
        if (r.end() && contentLength != null && Long.parseLong(contentLength) != 0) {
            return bad("Content-Length " + contentLength + " on a REQUEST flagged END (no body)");
        }
        return null;
    }

    /** The request's Content-Length, -1 when it has none (call after {@link #check}). */
    public static long contentLength(ServiceMessage.Request r) {
        for (ServiceMessage.Header h : r.headers()) {
            if (h.name().equalsIgnoreCase("content-length")) {
                return Long.parseLong(h.value());
            }
        }
        return -1;
    }

    /** RFC 9110 section 5.6.2: 1*tchar. */
    public static boolean token(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 9110 section 5.5: field-vchar (visible ASCII or obs-text) with single spaces or tabs
     * inside, none at either end; never CR, LF, NUL or another control.
     */
    public static boolean fieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean vchar = (c > 0x20 && c < 0x7F) || (c >= 0x80 && c <= 0xFF);
            boolean space = c == ' ' || c == '\t';
            if (!vchar && !(space && i > 0 && i < s.length() - 1)) {
                return false;
            }
        }
        return true;
    }

    /** {@code /} then visible ASCII without {@code #}. */
    static boolean originForm(String target) {
        if (target.isEmpty() || target.charAt(0) != '/') {
            return false;
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7F || c == '#') {
                return false;
            }
        }
        return true;
    }

    private static boolean digits(String s) {
        if (s.isEmpty() || s.length() > MAX_CONTENT_LENGTH_DIGITS) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** A field for a reason text: controls shown as escapes, so a reason never carries a CR or LF. */
    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), 64); i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 64 ? out + "..." : out.toString();
    }

    private static Refusal bad(String reason) {
        return new Refusal(ErrorCode.SERVICE_BAD_REQUEST, reason);
    }
}
