package com.domomigrationproxy.security;

import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.logging.Logger;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code X-API-Key: <secret>} authentication for services that cannot mint JWTs. The key's name
 * is the principal and its roles are the identity's roles. It runs before the JWT mechanism and
 * refuses ambiguous credentials outright: an API key together with a bearer token, or either header
 * sent twice, is a 401, never "whichever wins" (other Authorization schemes are no credential here). A request without the header is left to the
 * JWT mechanism; a request with an unknown key fails, it is not treated as anonymous, and an expired
 * key fails carrying {@link #EXPIRED_ATTRIBUTE}, which the web edge answers with its own problem type. The identity carries the key's scopes, and
 * each successful use is noted for the principals' last use ({@link PrincipalActivity}).
 */
@ApplicationScoped
public class ApiKeyAuthenticationMechanism implements HttpAuthenticationMechanism {

    public static final String HEADER = "X-API-Key";
    /** The WWW-Authenticate challenge naming this scheme and its header. */
    public static final String CHALLENGE = "ApiKey realm=\"domo-migration-proxy\", header=\"X-API-Key\"";
    /** Ahead of the JWT mechanism (default priority), so that ambiguity is seen first. */
    private static final int PRIORITY = HttpAuthenticationMechanism.DEFAULT_PRIORITY + 1000;

    /** Set on the failure of an expired key: a 401 of its own type, so the caller renews rather than retries. */
    public static final String EXPIRED_ATTRIBUTE = "api-key-expired-at";
    private static final Logger LOG = Logger.getLogger(ApiKeyAuthenticationMechanism.class);

    private final ApiKeyStore keys;
    private final PrincipalActivity activity;

    @Inject
    ApiKeyAuthenticationMechanism(ApiKeyStore keys, PrincipalActivity activity) {
        this.keys = keys;
        this.activity = activity;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        List<String> secrets = context.request().headers().getAll(HEADER);
        List<String> authorizations = context.request().headers().getAll(HttpHeaders.AUTHORIZATION);
        boolean bearer = authorizations.stream().anyMatch(value -> value.regionMatches(true, 0, "Bearer ", 0, 7));
        if (secrets.size() > 1 || authorizations.size() > 1 || (!secrets.isEmpty() && bearer)) {
            return Uni.createFrom().failure(new AuthenticationFailedException(
                    "Ambiguous credentials: send either a bearer token or X-API-Key, once"));
        }
        if (secrets.isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        ApiKeyStore.ApiKey key = keys.find(secrets.get(0).strip());
        return key == null ? Uni.createFrom().failure(new AuthenticationFailedException("Unknown API key"))
                : identity(key, context);
    }

    private Uni<SecurityIdentity> identity(ApiKeyStore.ApiKey key, RoutingContext context) {
        if (key.expiredNow()) {
            // The name is what an operator looks up in the file; the secret and its hash are never logged.
            LOG.warnf("API key %s expired at %s: request refused (renew it in the API key file)", key.name(),
                    key.expiresAt());
            return Uni.createFrom().failure(new AuthenticationFailedException("The API key has expired",
                    Map.of(EXPIRED_ATTRIBUTE, key.expiresAt())));
        }
        var remote = context.request().remoteAddress();
        activity.used(key.principal(), remote == null ? null : remote.host(), key.grant());
        return key.identity();
    }

    /** True when authentication failed because the API key has expired. */
    public static boolean expired(AuthenticationFailedException failure) {
        return failure.getAttribute(EXPIRED_ATTRIBUTE) != null;
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, HttpHeaders.WWW_AUTHENTICATE, CHALLENGE));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of();
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.OTHER_HEADER, HEADER));
    }

    @Override
    public int getPriority() {
        return PRIORITY;
    }
}
