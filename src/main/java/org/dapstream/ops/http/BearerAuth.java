package org.dapstream.ops.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Bearer-token check in front of every route of one HTTP API (admin, gateway). Tokens are compared as SHA-256 digests
 * with {@link MessageDigest#isEqual}: equal lengths and a constant-time comparison, so the
 * answer time says nothing about the configured token, not even its length.
 */
public final class BearerAuth implements Handler<RoutingContext> {
    private static final String SCHEME = "Bearer ";

    /** Null when no token is configured: the API is disabled. */
    private final byte[] expected;
    /** The API's name in answers ("admin API"), the key of its token, and its realm. */
    private final String api;
    private final String tokenKey;
    private final String challenge;

    /**
     * @param api      the API's name in answers, e.g. "admin API"
     * @param tokenKey the configuration key of its token, named in answers so they say what to set
     * @param realm    the realm of the WWW-Authenticate challenge
     */
    public BearerAuth(Optional<String> token, String api, String tokenKey, String realm) {
        this.expected = token.filter(t -> !t.isBlank()).map(BearerAuth::digest).orElse(null);
        this.api = api;
        this.tokenKey = tokenKey;
        this.challenge = "Bearer realm=\"" + realm + "\"";
    }

    /** The answer while no token is configured. */
    public String disabled() {
        return api + " disabled: set " + tokenKey;
    }

    public boolean enabled() {
        return expected != null;
    }

    @Override
    public void handle(RoutingContext rc) {
        if (expected == null) {
            JsonReplies.error(rc, 403, disabled());
            return;
        }
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            rc.response().putHeader("WWW-Authenticate", challenge);
            JsonReplies.error(rc, 401, header == null
                    ? "missing credentials: send 'Authorization: Bearer <token>' with the token of " + tokenKey
                    : "unsupported authorization scheme: the " + api + " takes 'Authorization: Bearer <token>'");
            return;
        }
        String given = header.substring(SCHEME.length()).trim();
        if (!MessageDigest.isEqual(expected, digest(given))) {
            JsonReplies.error(rc, 403, "wrong " + api.replace(" API", "") + " token");
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
