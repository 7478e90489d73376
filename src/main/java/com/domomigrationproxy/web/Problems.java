package com.domomigrationproxy.web;

import jakarta.ws.rs.core.Response;

import com.domomigrationproxy.http.RequestIds;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/** Builds the RFC 9457 body, for the JAX-RS mappers and for the HTTP filters that answer before JAX-RS. */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    public static Problem body(ProblemException problem, HttpServerRequest request) {
        return body(problem, request, request.path());
    }

    /** The body, with the path the caller is shown as its {@code instance} (see CallerSecrets.shownPath). */
    static Problem body(ProblemException problem, HttpServerRequest request, String instance) {
        ProblemException.Extensions more = problem.extensions();
        return new Problem(problem.type().uri(), problem.type().title(), problem.status(), problem.detail(),
                instance, RequestIds.of(request), more.operationId(), more.domoToe(), more.runningOperationId(),
                more.errors());
    }

    public static Response response(ProblemException problem, HttpServerRequest request) {
        Response.ResponseBuilder response = Response.status(problem.status())
                .type(MEDIA_TYPE)
                .entity(body(problem, request));
        problem.headers().forEach(response::header);
        if (closesConnection(problem, request)) {
            response.header("Connection", "close");
        }
        return response.build();
    }

    /**
     * A 503 busy over HTTP/1.1 closes its connection: a client told to come back later need not keep
     * one open meanwhile, and 3,000 kept open after their 503s filled the chart's heap (security
     * re-test). An HTTP/2 connection carries other streams, and has no such header.
     */
    static boolean closesConnection(ProblemException problem, HttpServerRequest request) {
        return problem.type() == ProblemType.BUSY && request.version() != HttpVersion.HTTP_2;
    }
}
