package com.domomigrationproxy.domo;

import java.time.Duration;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.decorator.Decorator;
import jakarta.decorator.Delegate;
import jakarta.inject.Inject;

import com.domomigrationproxy.observability.ProxyMetrics;

/**
 * Times every call that leaves for Domo (or the sandbox), whichever upstream is in use and however
 * {@link DomoClient} retries: one {@code domo_calls_seconds} sample per call, tagged with Domo's
 * HTTP status, {@code timeout} (deadline passed) or {@code none} (no answer: connection refused or
 * broken, or no token to send). A decorator, so that the client and the upstreams stay free of metrics code.
 */
@Decorator
@Priority(1)
class MeteredDomoUpstream implements DomoUpstream {

    private final DomoUpstream delegate;
    private final ProxyMetrics metrics;

    @Inject
    MeteredDomoUpstream(@Delegate DomoUpstream delegate, ProxyMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public DomoAnswer types(Duration deadline) {
        return timed("types", () -> delegate.types(deadline));
    }

    @Override
    public DomoAnswer accounts(String integrationType, Duration deadline) {
        return timed("accounts", () -> delegate.accounts(integrationType, deadline));
    }

    @Override
    public DomoAnswer candidates(String accountId, Duration deadline) {
        return timed("candidates", () -> delegate.candidates(accountId, deadline));
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body, Duration deadline) {
        return timed("migrate", () -> delegate.migrate(datasourceId, accountId, body, deadline));
    }

    @Override
    public DomoAnswer reverse(String datasourceId, Duration deadline) {
        return timed("reverse", () -> delegate.reverse(datasourceId, deadline));
    }

    private DomoAnswer timed(String operation, Supplier<DomoAnswer> call) {
        long started = System.nanoTime();
        String status = "none";
        try {
            DomoAnswer answer = call.get();
            status = Integer.toString(answer.status());
            return answer;
        } catch (DomoTransportException e) {
            status = e.kind() == DomoTransportException.Kind.DEADLINE ? "timeout" : "none";
            throw e;
        } finally {
            metrics.domoCall(operation, status, System.nanoTime() - started);
        }
    }
}
