package com.domomigrationproxy.security;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;

/** Who is calling, as the audit trail records it, and what the caller's scopes allow. */
@ApplicationScoped
public class Requesters {

    /** What an identity that came through neither the API key mechanism nor the JWT policy may act on: nothing. */
    private static final Scopes NOTHING = new Scopes(List.of(), List.of(), List.of());

    private final SecurityIdentity identity;
    private final CurrentRequest request;

    @Inject
    Requesters(SecurityIdentity identity, CurrentRequest request) {
        this.identity = identity;
        this.request = request;
    }

    /** The authenticated caller of the request being served. */
    public Requester current() {
        Scopes scopes = identity.getAttribute(PrincipalPolicy.SCOPES_ATTRIBUTE);
        return new Requester(identity.getPrincipal().getName(),
                identity.getAttribute(PrincipalPolicy.AUTH_METHOD_ATTRIBUTE), request.requestId(),
                request.clientAddress(), scopes == null ? NOTHING : scopes);
    }
}
