package com.domomigrationproxy.http;

import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.MDC;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.problem.Problems;

import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * First handler of every request on the public port: gives it a request id (header, log MDC) and
 * turns away API paths that no valid request has, before routing can normalise them.
 *
 * <p>Every API path is fixed words and identifiers of {@code [A-Za-z0-9_-]}, so a raw path with
 * anything else ({@code %2F}, {@code %2e%2e}, {@code ..}, {@code //}, non-ASCII) is an attempt to
 * reach something else or a malformed identifier; it gets a 400 and never reaches Domo.
 */
@ApplicationScoped
public class RequestFilter {

    private static final String API_PREFIX = "/api/";
    private static final Pattern API_PATH = Pattern.compile("(/[A-Za-z0-9_-]+)+");

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::filter); // right after observability.AccessLog
    }

    private void filter(RoutingContext context) {
        String requestId = RequestIds.accept(context.request().getHeader(RequestIds.HEADER));
        context.response().putHeader(RequestIds.HEADER, requestId);
        MDC.put(RequestIds.MDC_KEY, requestId);
        String path = context.request().path();
        if (path != null && path.startsWith(API_PREFIX) && !API_PATH.matcher(path).matches()) {
            ProblemException problem = new ProblemException(400, ProblemType.INVALID_REQUEST,
                    "The path may contain only letters, digits, '_' and '-' between single slashes;"
                            + " percent-encoding, dot segments and empty segments are never valid here");
            context.response()
                    .setStatusCode(problem.status())
                    .putHeader("Content-Type", Problems.MEDIA_TYPE)
                    .end(Json.encode(Problems.body(problem, context.request())));
            return;
        }
        context.next();
    }
}
