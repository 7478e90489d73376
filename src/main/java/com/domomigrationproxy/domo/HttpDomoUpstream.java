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
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;

/**
 * Domo over HTTP. Two clients, because the GETs and the POSTs have different deadlines; both
 * refuse redirects (Domo answers a blocked IP with a redirect to a web page) and send only the
 * token header: nothing of the caller's request is forwarded.
 */
@ApplicationScoped
@LookupUnlessProperty(name = "domo.sandbox.enabled", stringValue = "true")
class HttpDomoUpstream implements DomoUpstream {

    private final DomoApi reads;
    private final DomoApi migrations;
    private final DomoTokenProvider tokens;

    @Inject
    HttpDomoUpstream(DomoConfig config, DomoTokenProvider tokens) {
        URI baseUrl = config.baseUrl().orElseThrow(() -> new IllegalStateException(
                "DOMO_BASE_URL is required unless DOMO_SANDBOX_ENABLED=true"));
        this.reads = client(baseUrl, config.connectTimeout(), config.readTimeout());
        this.migrations = client(baseUrl, config.connectTimeout(), config.migrationTimeout());
        this.tokens = tokens;
    }

    private static DomoApi client(URI baseUrl, Duration connectTimeout, Duration readTimeout) {
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(baseUrl)
                .connectTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .followRedirects(false)
                // Every status comes back as a Response; DomoClient translates it.
                .disableDefaultMapper(true)
                .build(DomoApi.class);
    }

    @Override
    public DomoAnswer types(Duration deadline) {
        return send(deadline, token -> reads.types(token));
    }

    @Override
    public DomoAnswer accounts(String integrationType, Duration deadline) {
        return send(deadline, token -> reads.accounts(token, integrationType));
    }

    @Override
    public DomoAnswer candidates(String accountId, Duration deadline) {
        return send(deadline, token -> reads.candidates(token, accountId));
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body, Duration deadline) {
        return send(deadline, token -> migrations.migrate(token, datasourceId, accountId, body));
    }

    @Override
    public DomoAnswer reverse(String datasourceId, Duration deadline) {
        return send(deadline, token -> migrations.reverse(token, datasourceId));
    }

    private DomoAnswer send(Duration deadline, Function<String, Uni<Response>> call) {
        String token = tokens.current().orElseThrow(DomoTokenUnavailableException::new);
        try (Response response = call.apply(token).await().atMost(deadline)) {
            byte[] body = response.hasEntity() ? response.readEntity(byte[].class) : new byte[0];
            return new DomoAnswer(response.getStatus(), response.getHeaderString(HttpHeaders.RETRY_AFTER), body);
        } catch (TimeoutException e) {
            throw new DomoTransportException(DomoTransportException.Kind.DEADLINE, e);
        } catch (RuntimeException e) {
            throw new DomoTransportException(kind(e), e);
        }
    }

    /**
     * The client's own read timeout equals the deadline and may fire a moment before ours: that is
     * the deadline passing too, not a broken connection.
     */
    static DomoTransportException.Kind kind(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
                return DomoTransportException.Kind.CONNECT_FAILED;
            }
            if (cause instanceof java.util.concurrent.TimeoutException || cause instanceof SocketTimeoutException) {
                return DomoTransportException.Kind.DEADLINE;
            }
        }
        return DomoTransportException.Kind.BROKEN;
    }
}
