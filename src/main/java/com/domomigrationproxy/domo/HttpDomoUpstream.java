package com.domomigrationproxy.domo;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import io.quarkus.arc.lookup.LookupUnlessProperty;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

/**
 * Domo over HTTP. Two clients, because the GETs and the POSTs have different deadlines; both
 * refuse redirects (Domo answers a blocked IP with a redirect to a web page), read at most
 * DOMO_MAX_RESPONSE_SIZE of an answer, and send only the token header: nothing of the caller's
 * request is forwarded.
 */
@ApplicationScoped
@LookupUnlessProperty(name = "domo.sandbox.enabled", stringValue = "true")
class HttpDomoUpstream implements DomoUpstream {

    private static final byte[] EMPTY = new byte[0];

    private final DomoApi reads;
    private final DomoApi migrations;
    private final DomoTokenProvider tokens;

    @Inject
    HttpDomoUpstream(DomoConfig config, DomoTokenProvider tokens) {
        URI baseUrl = config.baseUrl().orElseThrow(() -> new IllegalStateException(
                "DOMO_BASE_URL is required unless DOMO_SANDBOX_ENABLED=true"));
        long maxBytes = config.maxResponseSize().asLongValue();
        this.reads = client(baseUrl, config.connectTimeout(), config.readTimeout(), maxBytes);
        this.migrations = client(baseUrl, config.connectTimeout(), config.migrationTimeout(), maxBytes);
        this.tokens = tokens;
    }

    private static DomoApi client(URI baseUrl, Duration connectTimeout, Duration deadline, long maxBytes) {
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(baseUrl)
                .connectTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .followRedirects(false)
                // Every status comes back as a Response; DomoClient translates it.
                .disableDefaultMapper(true)
                .register(new BoundedBody(maxBytes, deadline))
                .build(DomoApi.class);
    }

    @Override
    public DomoAnswer types() {
        return send(token -> reads.types(token));
    }

    @Override
    public DomoAnswer accounts(String integrationType) {
        return send(token -> reads.accounts(token, integrationType));
    }

    @Override
    public DomoAnswer candidates(String accountId) {
        return send(token -> reads.candidates(token, accountId));
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return send(token -> migrations.migrate(token, datasourceId, accountId, body));
    }

    @Override
    public DomoAnswer reverse(String datasourceId) {
        return send(token -> migrations.reverse(token, datasourceId));
    }

    private DomoAnswer send(Function<String, Response> call) {
        String token = tokens.current().orElseThrow(DomoTokenUnavailableException::new);
        try (Response response = call.apply(token)) {
            byte[] body = response.hasEntity() ? response.readEntity(byte[].class) : EMPTY;
            return new DomoAnswer(response.getStatus(), response.getHeaderString(HttpHeaders.RETRY_AFTER), body);
        } catch (RuntimeException e) {
            throw new DomoTransportException(kind(e), e);
        }
    }

    /**
     * How far the exchange got, from the failure's causes. The client's own read timeout equals the
     * deadline and may fire a moment before ours: that is the deadline passing too.
     */
    static DomoTransportException.Kind kind(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof BoundedBody.TooLarge) {
                return DomoTransportException.Kind.TOO_LARGE;
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
                return DomoTransportException.Kind.CONNECT_FAILED;
            }
            if (cause instanceof BoundedBody.TooSlow || cause instanceof java.util.concurrent.TimeoutException
                    || cause instanceof SocketTimeoutException || cause instanceof InterruptedException) {
                return DomoTransportException.Kind.DEADLINE;
            }
        }
        return DomoTransportException.Kind.BROKEN;
    }
}
