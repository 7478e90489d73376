package com.domomigrationproxy.web;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.domomigrationproxy.domo.DomoWait;
import com.domomigrationproxy.idempotency.ReplayedAnswer;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.problem.Problem;

import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * One access line (category {@code access}) and the request metrics for every request on the
 * public port, written when the response has gone out.
 *
 * <p>The line holds the request id, the principal, the operation, method and path, the status, the
 * duration, the time spent waiting for Domo and the audited operationId. It never holds a header,
 * a body or the query string: credentials travel in headers, bodies carry the caller's data, and a
 * query string is where a misguided client puts a token ({@code ?api_key=}); the audit API's filters
 * are logged by {@code audit.access} instead. The path is kept because its ids (datasource,
 * account) are what an operator searches for, and every API path is plain identifiers.
 */
@ApplicationScoped
public class AccessLog {

    private static final Logger ACCESS = Logger.getLogger("access");
    private static final String OPERATION_ID = AccessLog.class.getName() + ".operationId";
    private static final int MAX_PATH_LENGTH = 256;
    private static final String NONE = "-";

    private final RequestMetrics metrics;

    @Inject
    AccessLog(RequestMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * First handler on the public port (the management port has neither access lines nor request
     * metrics), ahead of {@link RequestFilter}, which answers hostile paths itself.
     */
    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::start);
    }

    /** Remembers which audited Operation a response is about, from the entity about to be written. */
    @ServerResponseFilter
    public void captureOperationId(ContainerResponseContext response, RoutingContext context) {
        Object entity = response.getEntity();
        UUID operationId = null;
        if (entity instanceof Operation operation) {
            operationId = operation.operationId();
        } else if (entity instanceof Problem problem) {
            operationId = problem.operationId();
        } else if (entity instanceof ReplayedAnswer replayed) {
            operationId = replayed.operationId();
        }
        if (operationId != null) {
            context.put(OPERATION_ID, operationId);
        }
    }

    private void start(RoutingContext context) {
        long started = System.nanoTime();
        AtomicLong domoWait = DomoWait.begin();
        context.addEndHandler(ended -> finish(context, started, domoWait.get(), ended.succeeded()));
        context.next();
    }

    private void finish(RoutingContext context, long started, long domoWaitNanos, boolean responseSent) {
        long durationNanos = System.nanoTime() - started;
        String method = context.request().method().name();
        String path = context.request().path();
        String operation = ApiOperations.resolve(method, path);
        String status = responseSent ? Integer.toString(context.response().getStatusCode()) : "closed";
        metrics.requestCompleted(operation, status, durationNanos, domoWaitNanos);

        String requestId = RequestIds.of(context.request());
        String principal = principal(context);
        Object operationId = context.get(OPERATION_ID);
        long durationMs = durationNanos / 1_000_000;
        long domoMs = domoWaitNanos / 1_000_000;
        // Structured fields for the JSON log; the text line carries the same values.
        MDC.put("principal", principal);
        MDC.put("operation", operation);
        MDC.put("status", status);
        MDC.put("durationMs", Long.toString(durationMs));
        MDC.put("operationId", operationId == null ? NONE : operationId.toString());
        try {
            ACCESS.infof("requestId=%s principal=%s operation=%s method=%s path=%s status=%s durationMs=%d domoMs=%d"
                    + " operationId=%s", requestId == null ? NONE : requestId, principal, operation, method,
                    loggable(path), status, durationMs, domoMs, operationId == null ? NONE : operationId);
        } finally {
            MDC.remove("principal");
            MDC.remove("operation");
            MDC.remove("status");
            MDC.remove("durationMs");
            MDC.remove("operationId");
        }
    }

    /** The authenticated principal, or "-" for anonymous callers and failed authentication. */
    private static String principal(RoutingContext context) {
        if (context.user() instanceof QuarkusHttpUser user && !user.getSecurityIdentity().isAnonymous()) {
            return loggable(user.getSecurityIdentity().getPrincipal().getName());
        }
        return NONE;
    }

    /** Bounded, one line, no spaces: a value a log parser splits on cannot be forged from outside. */
    private static String loggable(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        String bounded = value.length() > MAX_PATH_LENGTH ? value.substring(0, MAX_PATH_LENGTH) + "…" : value;
        return bounded.replaceAll("[\\p{Cntrl}\\s\"]", "?");
    }
}
