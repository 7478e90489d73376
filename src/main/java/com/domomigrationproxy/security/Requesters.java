package com.domomigrationproxy.security;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;

/** Who is calling, as the audit trail records it, and what the caller's scopes allow. */
@ApplicationScoped
public class Requesters {

    /** What an identity that came through neither the API key mechanism nor the JWT policy may act on: nothing. */
    private static final Scopes NOTHING = new Scopes(List.of(), List.of(), List.of());

    private final SecurityIdentity identity;
    private final CurrentRequest request;
    private final ApiKeyStore keys;

    /** SmallRye JWT's leeway past a token's {@code exp}: the token stands as long as it is accepted. */
    private final long clockSkewMillis;

    @Inject
    Requesters(SecurityIdentity identity, CurrentRequest request, ApiKeyStore keys, JWTAuthContextInfo jwt) {
        this.identity = identity;
        this.request = request;
        this.keys = keys;
        this.clockSkewMillis = jwt.getClockSkew() * 1000L;
    }

    /** The authenticated caller of the request being served. */
    public Requester current() {
        Scopes scopes = identity.getAttribute(PrincipalPolicy.SCOPES_ATTRIBUTE);
        return new Requester(identity.getPrincipal().getName(),
                identity.getAttribute(PrincipalPolicy.AUTH_METHOD_ATTRIBUTE), request.requestId(),
                request.clientAddress(), scopes == null ? NOTHING : scopes);
    }

    /**
     * Whether the current request's credentials still stand, for a request that lasts (an event
     * stream) to ask later, from any thread: an API key while its secret is in the file and unexpired
     * (it is refused from the next request on once removed, rotated out or expired); a JWT while it
     * would be accepted, until its {@code exp} and the verifier's clock skew. Holds no secret: a key's
     * digest, a token's expiry. A console session always stands here: the console ends its streams
     * after a while, and the browser opens them again with its session as it then is.
     */
    public BooleanSupplier credentialsStand() {
        ByteBuffer digest = identity.getAttribute(ApiKeyStore.DIGEST_ATTRIBUTE);
        if (digest != null) {
            return () -> keys.stands(digest);
        }
        if (PrincipalPolicy.JWT.equals(identity.getAttribute(PrincipalPolicy.AUTH_METHOD_ATTRIBUTE))
                && identity.getPrincipal() instanceof JsonWebToken token && token.getExpirationTime() > 0) {
            long acceptedUntil = token.getExpirationTime() * 1000 + clockSkewMillis;
            return () -> System.currentTimeMillis() <= acceptedUntil;
        }
        return () -> true;
    }
}
