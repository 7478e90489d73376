package com.domomigrationproxy.security;

import java.io.IOException;
import java.util.Base64;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;

import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.oidc.IdTokenCredential;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Every authenticated identity, whichever mechanism made it, must name a principal the audit trail
 * can record and tell apart: 1 to 255 characters, no control characters; and a JWT may not claim
 * the name of an API key (their trails and idempotency keys would mix). Anything else is a 401.
 * Also tags each identity with how it authenticated, and a JWT's identity with the scopes of its
 * {@code PROXY_JWT_SCOPES_CLAIM} claim: no claim is unrestricted, a claim that is not a valid
 * scopes object is a 401 (never read as "no scopes"). A JWT's successful use is noted for the
 * principals' last use (API keys note theirs in their mechanism). A person signed in to the console
 * is a JWT of its own kind ({@value #OIDC}): the provider's ID token, under the same rules.
 */
@ApplicationScoped
class PrincipalPolicy implements SecurityIdentityAugmentor {

    static final String AUTH_METHOD_ATTRIBUTE = "authMethod";
    static final String SCOPES_ATTRIBUTE = "scopes";
    static final String JWT = "jwt";
    static final String API_KEY = "api-key";
    /** A person signed in to the console through the OpenID Connect provider (authorization-code flow). */
    static final String OIDC = "oidc";
    private static final int MAX_LENGTH = 255;
    private static final Logger LOG = Logger.getLogger(PrincipalPolicy.class);

    private final ApiKeyStore keys;
    private final PrincipalActivity activity;
    private final ObjectMapper json;
    private final String scopesClaim;

    @Inject
    PrincipalPolicy(ApiKeyStore keys, PrincipalActivity activity, ObjectMapper json, ApiKeyConfig config) {
        this.keys = keys;
        this.activity = activity;
        this.json = json;
        this.scopesClaim = config.jwtScopesClaim();
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        return augment(identity, context, Map.of());
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context,
            Map<String, Object> attributes) {
        if (identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        String principal = identity.getPrincipal() == null ? null : identity.getPrincipal().getName();
        if (!recordable(principal)) {
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "The credentials name no principal that can be recorded"));
        }
        if (!(identity.getPrincipal() instanceof JsonWebToken token)) {
            return Uni.createFrom().item(identity);
        }
        if (keys.isKeyName(principal)) {
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "A JWT may not name the principal of an API key"));
        }
        Scopes scopes;
        try {
            scopes = scopes(token);
        } catch (IllegalArgumentException | IOException e) {
            // Not a parser's message: it would quote the token's payload.
            LOG.warnf("JWT of %s refused: its %s claim is not a valid scopes object (%s)", principal, scopesClaim,
                    e instanceof IOException ? "unreadable" : e.getMessage());
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "The JWT's scopes claim is not a valid scopes object"));
        }
        RoutingContext request = HttpSecurityUtils.getRoutingContextAttribute(attributes);
        String clientAddress = request == null || request.request().remoteAddress() == null ? null
                : request.request().remoteAddress().host();
        String method = identity.getCredential(IdTokenCredential.class) != null ? OIDC : JWT;
        activity.used(method, principal, clientAddress, identity.getRoles(), scopes);
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder(identity)
                .addAttribute(AUTH_METHOD_ATTRIBUTE, method)
                .addAttribute(SCOPES_ATTRIBUTE, scopes)
                .build());
    }

    /**
     * The scopes a token's claim grants; only a token without the claim is unrestricted. The claim
     * is read from the signed payload itself, as the issuer wrote it, so that {@code {"accounts":
     * null}} is refused, never read as "any account".
     * An encrypted token (five parts: a provider's, with MP_JWT_DECRYPT_KEY_LOCATION set) has no
     * payload to read here: its claim is taken from SmallRye's claims, JSON values all, which keep
     * a list whose value is null inside the object (refused; a string claim too, as no object;
     * EncryptedJwtTest).
     */
    private Scopes scopes(JsonWebToken token) throws IOException {
        String raw = token.getRawToken();
        String[] parts = raw == null ? new String[0] : raw.split("\\.", -1);
        JsonNode claim;
        if (parts.length == 3) {
            JsonNode payload = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
            if (payload == null || !payload.isObject()) {
                throw new IllegalArgumentException("the payload is not a JSON object");
            }
            claim = payload.get(scopesClaim);
        } else {
            Object value = token.getClaim(scopesClaim);
            claim = value instanceof JsonValue jsonValue ? json.readTree(jsonValue.toString()) : null;
        }
        return claim == null ? Scopes.UNRESTRICTED : Scopes.parse(claim);
    }

    /**
     * Invisible code points that are not of Unicode's format category: the combining grapheme
     * joiner, the Hangul fillers, variation selectors, Mongolian and Khmer invisibles, the blank
     * Braille pattern ("op-all" and a Hangul filler read as the key op-all; authn review).
     */
    private static boolean invisible(int c) {
        return c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || c == 0x2800
                || c >= 0x17B4 && c <= 0x17B5 || c >= 0x180B && c <= 0x180F || c >= 0xFE00 && c <= 0xFE0F
                || c >= 0xE0000 && c <= 0xE0FFF;
    }

    /**
     * A name the audit trail can hold and an auditor can tell from others: 1 to 255 characters, no
     * control or invisible characters (U+200B, U+034F, U+3164…), no space at either end ("op-all "
     * would read as the key op-all), no broken surrogate pair.
     */
    static boolean recordable(String principal) {
        if (principal == null || principal.isBlank() || principal.codePointCount(0, principal.length()) > MAX_LENGTH
                || Character.isWhitespace(principal.charAt(0)) || Character.isSpaceChar(principal.charAt(0))
                || Character.isWhitespace(principal.charAt(principal.length() - 1))
                || Character.isSpaceChar(principal.charAt(principal.length() - 1))) {
            return false;
        }
        // By code point, so that the planes beyond the first are looked at too (tag characters, the variation
        // selectors supplement); an unpaired surrogate comes back as itself.
        for (int i = 0; i < principal.length(); ) {
            int c = principal.codePointAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
                    || Character.getType(c) == Character.SURROGATE || invisible(c)) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
    }
}
