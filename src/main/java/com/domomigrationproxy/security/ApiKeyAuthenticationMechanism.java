package com.domomigrationproxy.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code X-API-Key: <secret>} authentication for services that cannot mint JWTs. The key's name
 * is the principal and its roles are the identity's roles. A request without the header is left
 * to the JWT mechanism; a request with an unknown key fails, it is not treated as anonymous.
 */
@ApplicationScoped
public class ApiKeyAuthenticationMechanism implements HttpAuthenticationMechanism {

    public static final String HEADER = "X-API-Key";
    public static final String AUTH_METHOD_ATTRIBUTE = "authMethod";
    /** The WWW-Authenticate challenge naming this scheme and its header. */
    public static final String CHALLENGE = "ApiKey realm=\"domo-migration-proxy\", header=\"X-API-Key\"";

    private final ApiKeyStore keys;

    @Inject
    ApiKeyAuthenticationMechanism(ApiKeyStore keys) {
        this.keys = keys;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String secret = context.request().getHeader(HEADER);
        if (secret == null) {
            return Uni.createFrom().nullItem();
        }
        return Uni.createFrom().item(keys.find(secret.strip()))
                .onItem().transform(found -> found
                        .<SecurityIdentity>map(key -> QuarkusSecurityIdentity.builder()
                                .setPrincipal(new QuarkusPrincipal(key.name()))
                                .addRoles(key.roles())
                                .addAttribute(AUTH_METHOD_ATTRIBUTE, "api-key")
                                .build())
                        .orElseThrow(() -> new AuthenticationFailedException("Unknown API key")));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", CHALLENGE));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of();
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.OTHER_HEADER, HEADER));
    }
}
