package com.domomigrationproxy.http;

import jakarta.enterprise.context.ContextNotActiveException;

import io.quarkus.arc.Arc;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * Frees what a request holds (a turn of a {@link com.domomigrationproxy.problem.BusyGate}) once the
 * request has ended, its answer sent or its connection closed, even when the answer is never
 * written: a client that resets its connection while the request waits for its turn leaves no end
 * to wait for, and the turn was held until the process restarted (security re-test).
 */
public final class RequestEnd {

    private RequestEnd() {
    }

    /** Runs {@code action} when the current request ends, or now if its connection is already closed; none outside a request. */
    public static void then(Runnable action) {
        RoutingContext request = current();
        if (request == null) {
            return;
        }
        request.addEndHandler(ignored -> action.run());
        if (request.response().closed() || request.response().ended()) {
            action.run(); // ended before the handler was added: it will not be called
        }
    }

    /** The request being served on this thread is a HEAD: its answer ends with its headers. */
    public static boolean headersOnly() {
        RoutingContext request = current();
        return request != null && request.request().method() == HttpMethod.HEAD;
    }

    /** The request being served on this thread, or null. */
    static RoutingContext current() {
        var container = Arc.container();
        if (container == null) {
            return null; // outside the application (a unit test)
        }
        try {
            var current = container.instance(CurrentVertxRequest.class);
            return current.isAvailable() ? current.get().getCurrent() : null;
        } catch (ContextNotActiveException e) {
            return null;
        }
    }
}
