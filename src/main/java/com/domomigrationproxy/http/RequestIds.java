package com.domomigrationproxy.http;

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

    /**
     * The caller's id when it is plausible, else a new one. An API key's secret has the shape of an
     * id ({@code openssl rand -hex 32}), and a misconfigured client may send it as one: it would be
     * echoed, logged and written into the audit chain for good. It is replaced, and the key named
     * once in the log. So is the Domo token, which a script holding it may send the same way.
     */
    public static String accept(String fromCaller, CallerSecrets secrets) {
        if (fromCaller == null || !ACCEPTED.matcher(fromCaller).matches() || secrets.carried(fromCaller, HEADER)) {
            return UUID.randomUUID().toString();
        }
        return fromCaller;
    }

    /** The caller's id when it is plausible, else a new one, with no look at the API keys. */
    public static String plausible(String fromCaller) {
        return fromCaller != null && ACCEPTED.matcher(fromCaller).matches() ? fromCaller : UUID.randomUUID().toString();
    }

    /** True once the request has its id: from its first handler on, not for one refused before routing. */
    public static boolean assigned(HttpServerRequest request) {
        return request.response().headers().contains(HEADER);
    }

    /** The id of the request being answered; the filter puts it on the response first thing. */
    public static String of(HttpServerRequest request) {
        return request.response().headers().get(HEADER);
    }
}
