package com.domomigrationproxy.web;

import java.util.UUID;
import java.util.regex.Pattern;

import io.vertx.core.http.HttpServerRequest;

/**
 * The request id that ties a caller's request to our logs, problems and audit rows. Taken from the
 * caller's {@code X-Request-Id} when it is a plausible id, otherwise generated.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    static String accept(String fromCaller) {
        return fromCaller != null && ACCEPTED.matcher(fromCaller).matches()
                ? fromCaller
                : UUID.randomUUID().toString();
    }

    /** True once the request has its id: from its first handler on, not for one refused before routing. */
    static boolean assigned(HttpServerRequest request) {
        return request.response().headers().contains(HEADER);
    }

    /** The id of the request being answered; the filter puts it on the response first thing. */
    public static String of(HttpServerRequest request) {
        return request.response().headers().get(HEADER);
    }
}
