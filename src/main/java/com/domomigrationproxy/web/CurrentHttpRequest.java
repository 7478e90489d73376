package com.domomigrationproxy.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.http.RequestIds;
import com.domomigrationproxy.security.CurrentRequest;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;

/** The request being served, read from the Vert.x request that the request filter gave its id. */
@ApplicationScoped
class CurrentHttpRequest implements CurrentRequest {

    private final CurrentVertxRequest current;

    @Inject
    CurrentHttpRequest(CurrentVertxRequest current) {
        this.current = current;
    }

    @Override
    public String requestId() {
        return RequestIds.of(current.getCurrent().request());
    }

    @Override
    public String clientAddress() {
        var remote = current.getCurrent().request().remoteAddress();
        return remote == null ? null : remote.host();
    }
}
