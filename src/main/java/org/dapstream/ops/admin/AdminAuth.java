package org.dapstream.ops.admin;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Bearer-token check in front of every admin route. Tokens are compared as SHA-256 digests
 * with {@link MessageDigest#isEqual}: equal lengths and a constant-time comparison, so the
 * answer time says nothing about the configured token, not even its length.
 */
final class AdminAuth implements Handler<RoutingContext> {
    static final String DISABLED = "admin API disabled: set dap.stream.admin.token";
    static final String CHALLENGE = "Bearer realm=\"dap-stream-admin\"";
    private static final String SCHEME = "Bearer ";

    /** Null when no token is configured: the API is disabled. */
    private final byte[] expected;

    AdminAuth(Optional<String> token) {
        this.expected = token.filter(t -> !t.isBlank()).map(AdminAuth::digest).orElse(null);
    }

    @Override
    public void handle(RoutingContext rc) {
        if (expected == null) {
            AdminJson.error(rc, 403, DISABLED);
            return;
        }
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            rc.response().putHeader("WWW-Authenticate", CHALLENGE);
            AdminJson.error(rc, 401, header == null
                    ? "missing credentials: send 'Authorization: Bearer <token>' with the token of dap.stream.admin.token"
                    : "unsupported authorization scheme: the admin API takes 'Authorization: Bearer <token>'");
            return;
        }
        String given = header.substring(SCHEME.length()).trim();
        if (!MessageDigest.isEqual(expected, digest(given))) {
            AdminJson.error(rc, 403, "wrong admin token");
            return;
        }
        rc.next();
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
