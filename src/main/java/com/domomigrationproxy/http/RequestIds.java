package com.domomigrationproxy.http;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoTokenProvider;
import com.domomigrationproxy.security.ApiKeyStore;

import io.vertx.core.http.HttpServerRequest;

/**
 * The request id that ties a caller's request to our logs, problems and audit rows. Taken from the
 * caller's {@code X-Request-Id} when it is a plausible id, otherwise generated.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Logger LOG = Logger.getLogger(RequestIds.class);
    /** The keys whose secret arrived as a request id, warned of once each (a client sends it on every request). */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    /** Whether the Domo token arrived as a request id once: warned of once. */
    private static final AtomicBoolean DOMO_TOKEN_WARNED = new AtomicBoolean();

    private RequestIds() {
    }

    /**
     * The caller's id when it is plausible, else a new one. An API key's secret has the shape of an
     * id ({@code openssl rand -hex 32}), and a misconfigured client may send it as one: it would be
     * echoed, logged and written into the audit chain for good. It is replaced, and the key named
     * once in the log. So is the Domo token (in any form its redactor knows), which a script holding
     * it may send the same way; telling whether a string is the token tells its sender nothing Domo
     * would not.
     */
    public static String accept(String fromCaller, ApiKeyStore keys, DomoTokenProvider domoToken) {
        if (fromCaller == null || !ACCEPTED.matcher(fromCaller).matches()) {
            return UUID.randomUUID().toString();
        }
        String key = keys.keyNamed(fromCaller);
        if (key != null) {
            if (WARNED.add(key)) {
                LOG.warnf("X-Request-Id carried the secret of API key %s: replaced by a new id, neither echoed nor"
                        + " logged; the client should send an id of its own (said once per key)", key);
            }
            return UUID.randomUUID().toString();
        }
        if (domoToken.appearsIn(fromCaller)) {
            if (DOMO_TOKEN_WARNED.compareAndSet(false, true)) {
                LOG.warn("X-Request-Id carried the Domo developer token: replaced by a new id, neither echoed nor logged;"
                        + " the client should send an id of its own, and the token be rotated (said once)");
            }
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
