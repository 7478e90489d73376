package com.domomigrationproxy.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;

/** Who is calling, as the audit trail records it. */
@ApplicationScoped
public class Requesters {

    private final SecurityIdentity identity;
    private final CurrentRequest request;

    @Inject
    Requesters(SecurityIdentity identity, CurrentRequest request) {
        this.identity = identity;
        this.request = request;
    }

    /** The authenticated caller of the request being served. */
    public Requester current() {
        return new Requester(identity.getPrincipal().getName(),
                identity.getAttribute(PrincipalPolicy.AUTH_METHOD_ATTRIBUTE), request.requestId(),
                request.clientAddress());
    }
}
