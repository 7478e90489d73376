package com.domomigrationproxy.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.oidc.IdTokenCredential;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Every authenticated identity, whichever mechanism made it, must name a principal the audit trail
 * can record and tell apart: 1 to 255 characters, no control characters; and a JWT may not claim
 * the name of an API key (their trails and idempotency keys would mix); the same holds for a person
 * signed in to the console, whose identity is the provider's ID token. Anything else is a 401.
 * Also tags each identity with how it authenticated.
 */
@ApplicationScoped
class PrincipalPolicy implements SecurityIdentityAugmentor {

    static final String AUTH_METHOD_ATTRIBUTE = "authMethod";
    static final String JWT = "jwt";
    static final String API_KEY = "api-key";
    /** A person signed in to the console through the OpenID Connect provider (authorization-code flow). */
    static final String OIDC = "oidc";
    private static final int MAX_LENGTH = 255;

    private final ApiKeyStore keys;

    @Inject
    PrincipalPolicy(ApiKeyStore keys) {
        this.keys = keys;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        String principal = identity.getPrincipal() == null ? null : identity.getPrincipal().getName();
        if (!recordable(principal)) {
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "The credentials name no principal that can be recorded"));
        }
        boolean jwt = identity.getPrincipal() instanceof JsonWebToken;
        if (jwt && keys.isKeyName(principal)) {
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "A JWT may not name the principal of an API key"));
        }
        if (identity.getAttribute(AUTH_METHOD_ATTRIBUTE) != null) {
            return Uni.createFrom().item(identity);
        }
        String method = identity.getCredential(IdTokenCredential.class) != null ? OIDC : jwt ? JWT : API_KEY;
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder(identity)
                .addAttribute(AUTH_METHOD_ATTRIBUTE, method)
                .build());
    }

    static boolean recordable(String principal) {
        if (principal == null || principal.isBlank() || principal.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < principal.length(); i++) {
            char c = principal.charAt(i);
            if (Character.isISOControl(c)
                    || (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < principal.length()
                            && Character.isLowSurrogate(principal.charAt(++i))))) {
                return false;
            }
        }
        return true;
    }
}
