package com.domomigrationproxy.web;

import jakarta.ws.rs.core.Response;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

import io.vertx.core.http.HttpServerRequest;

/** Builds the RFC 9457 body, for the JAX-RS mappers and for the HTTP filters that answer before JAX-RS. */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    public static Problem body(ProblemException problem, HttpServerRequest request) {
        ProblemException.Extensions more = problem.extensions();
        return new Problem(problem.type().uri(), problem.type().title(), problem.status(), problem.detail(),
                request.path(), RequestIds.of(request), more.operationId(), more.domoToe(), more.runningOperationId(),
                more.errors());
    }

    public static Response response(ProblemException problem, HttpServerRequest request) {
        Response.ResponseBuilder response = Response.status(problem.status())
                .type(MEDIA_TYPE)
                .entity(body(problem, request));
        problem.headers().forEach(response::header);
        return response.build();
    }
}
