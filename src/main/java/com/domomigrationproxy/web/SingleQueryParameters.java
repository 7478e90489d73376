package com.domomigrationproxy.web;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

import io.vertx.core.http.HttpServerRequest;

/**
 * A query parameter that a resource reads as one value, given more than once, is refused (400
 * naming it): bound as it comes, the first value would win in silence, a bad second one would go
 * unseen, and the audit record of the read would name filters that were not applied. Parameters
 * read as a list (the events' {@code type}) may repeat.
 */
public class SingleQueryParameters {

    private final Map<Method, Set<String>> singleValued = new ConcurrentHashMap<>();

    @ServerRequestFilter
    public void refuseRepeated(HttpServerRequest request, UriInfo uri, ResourceInfo resource) {
        // Vert.x's raw query first: most requests (every GET the benchmarks send) have none.
        Method method = request.query() == null ? null : resource.getResourceMethod();
        if (method == null) {
            return;
        }
        List<Problem.FieldError> errors = new ArrayList<>();
        var given = uri.getQueryParameters();
        for (String name : singleValued.computeIfAbsent(method, SingleQueryParameters::singleValued)) {
            List<String> values = given.get(name);
            if (values != null && values.size() > 1) {
                errors.add(new Problem.FieldError(name, "must be given once"));
            }
        }
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("A query parameter was given more than once", errors);
        }
    }

    private static Set<String> singleValued(Method method) {
        return Arrays.stream(method.getParameters())
                .filter(parameter -> parameter.isAnnotationPresent(QueryParam.class))
                .filter(parameter -> !Collection.class.isAssignableFrom(parameter.getType()))
                .map(parameter -> parameter.getAnnotation(QueryParam.class).value())
                .collect(Collectors.toUnmodifiableSet());
    }
}
