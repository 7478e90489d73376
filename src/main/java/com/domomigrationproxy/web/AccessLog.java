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
import com.domomigrationproxy.http.ApiOperations;
import com.domomigrationproxy.http.CallerSecrets;
import com.domomigrationproxy.http.RequestIds;
import com.domomigrationproxy.idempotency.ReplayedAnswer;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.LogText;

import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.HttpServerRequest;
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
    /** The access line's fields after its requestId, in order: also put into the MDC, and taken out again. */
    private static final String[] MDC_FIELDS =
            {"principal", "operation", "method", "path", "status", "durationMs", "domoMs", "operationId"};

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
        router.route().order(Integer.MIN_VALUE).handler(this::start).failureHandler(this::refusedBeforeRouting);
    }

    /**
     * A request Vert.x failed before the first handler ran (no host, no path: RequestFilter answers
     * it) gets its line too; any other failure passed this route's handler already.
     */
    private void refusedBeforeRouting(RoutingContext context) {
        if (RequestIds.assigned(context.request())) {
            context.next();
        } else {
            start(context);
        }
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
        HttpServerRequest request = context.request();
        String method = request.method().name();
        String path = request.path() == null ? "" : request.path(); // none for a target that is no path ("?x")
        String operation = ApiOperations.resolve(method, path);
        int statusCode = responseSent ? context.response().getStatusCode() : RequestMetrics.CLOSED;
        metrics.requestCompleted(operation, statusCode, durationNanos, domoWaitNanos);
        if (!ACCESS.isInfoEnabled()) {
            return;
        }
        String status = RequestMetrics.status(statusCode);
        String requestId = RequestIds.of(request);
        String principal = principal(context);
        Object operationId = context.get(OPERATION_ID);
        String operationIdText = operationId == null ? NONE : operationId.toString();
        String[] values = { principal, operation, method, loggable(CallerSecrets.shownPath(context)), status,
                Long.toString(durationNanos / 1_000_000), Long.toString(domoWaitNanos / 1_000_000), operationIdText };
        // The text line by hand (a format string would be parsed again for every request), and the
        // same fields for the JSON log's MDC (requestId is there already).
        StringBuilder line = new StringBuilder(200).append("requestId=").append(requestId == null ? NONE : requestId);
        for (int i = 0; i < MDC_FIELDS.length; i++) {
            line.append(' ').append(MDC_FIELDS[i]).append('=').append(values[i]);
            MDC.put(MDC_FIELDS[i], values[i]);
        }
        try {
            ACCESS.info(line.toString());
        } finally {
            for (String field : MDC_FIELDS) {
                MDC.remove(field);
            }
        }
    }

    /** The authenticated principal, or "-" for anonymous callers and failed authentication. */
    private static String principal(RoutingContext context) {
        if (context.user() instanceof QuarkusHttpUser user && !user.getSecurityIdentity().isAnonymous()) {
            return loggable(user.getSecurityIdentity().getPrincipal().getName());
        }
        return NONE;
    }

    /**
     * Bounded, one line, no spaces: a value a log parser splits on cannot be forged from outside.
     * Values that need no change (nearly all) are returned as they are, without a copy.
     */
    private static String loggable(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        boolean bounded = value.length() <= MAX_PATH_LENGTH;
        if (bounded && clean(value)) {
            return value;
        }
        String cut = bounded ? value : value.substring(0, MAX_PATH_LENGTH) + "…";
        StringBuilder safe = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            safe.append(unsafe(c) ? '?' : c);
        }
        return safe.toString();
    }

    private static boolean clean(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (unsafe(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** What could break a log line ({@link LogText}), a space and a quote (which end a key=value field). */
    private static boolean unsafe(char c) {
        return LogText.unsafe(c) || c == ' ' || c == '"';
    }
}
