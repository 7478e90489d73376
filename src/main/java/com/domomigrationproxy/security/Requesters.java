package com.domomigrationproxy.security;

import org.eclipse.microprofile.jwt.JsonWebToken;

import com.domomigrationproxy.audit.Requester;
import com.domomigrationproxy.http.RequestIds;

import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.http.HttpServerRequest;

/** Who is calling, as the audit trail records it. */
public final class Requesters {

    private Requesters() {
    }

    public static Requester of(SecurityIdentity identity, HttpServerRequest request) {
        String authMethod = identity.getPrincipal() instanceof JsonWebToken
                ? "jwt"
                : identity.getAttribute(ApiKeyAuthenticationMechanism.AUTH_METHOD_ATTRIBUTE);
        var remote = request.remoteAddress();
        return new Requester(identity.getPrincipal().getName(), authMethod, RequestIds.of(request),
                remote == null ? null : remote.host());
    }
}
