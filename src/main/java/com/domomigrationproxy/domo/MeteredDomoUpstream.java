package com.domomigrationproxy.domo;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.decorator.Decorator;
import jakarta.decorator.Delegate;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;

/**
 * Times every call that leaves for Domo (or the sandbox), whichever upstream is in use and however
 * often the guards retry: one {@code domo_calls_seconds} sample per attempt, tagged with Domo's HTTP
 * status, {@code timeout} (deadline passed) or {@code none} (no answer: connection refused or
 * broken, answer too long, or no token to send); the time also counts as Domo wait of the request
 * being served. A decorator, so that the client and the upstreams stay free of metrics code. The
 * fault-tolerance metrics ({@code ft_*}) count retries, breaker states and timeouts.
 */
@Decorator
@Priority(1)
class MeteredDomoUpstream implements DomoUpstream {

    /** Up to the 120 s migration deadline. */
    private static final Duration[] LATENCY_BUCKETS = Arrays.stream(new long[] { 10, 25, 50, 100, 250, 500, 1_000,
            2_500, 5_000, 10_000, 30_000, 60_000, 120_000 }).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    private final DomoUpstream delegate;
    private final Meter.MeterProvider<Timer> calls;

    @Inject
    MeteredDomoUpstream(@Delegate DomoUpstream delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.calls = Timer.builder("domo.calls")
                .description("Calls to Domo (or the sandbox), by Domo operation and upstream HTTP status")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .withRegistry(registry);
    }

    @Override
    public Uni<DomoAnswer> types() {
        return timedLater("types", delegate::types);
    }

    @Override
    public Uni<DomoAnswer> accounts(String integrationType) {
        return timedLater("accounts", () -> delegate.accounts(integrationType));
    }

    @Override
    public Uni<DomoAnswer> candidates(String accountId) {
        return timedLater("candidates", () -> delegate.candidates(accountId));
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return timed("migrate", () -> delegate.migrate(datasourceId, accountId, body));
    }

    @Override
    public DomoAnswer reverse(String datasourceId) {
        return timed("reverse", () -> delegate.reverse(datasourceId));
    }

    private DomoAnswer timed(String operation, Supplier<DomoAnswer> call) {
        long started = System.nanoTime();
        DomoAnswer answer = null;
        Throwable failure = null;
        try {
            answer = call.get();
            return answer;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            record(operation, started, answer, failure);
        }
    }

    /**
     * The same for a read, timed from the call to its answer or failure (cancelled: not recorded);
     * the fault-tolerance guards subscribe as soon as they call.
     */
    private Uni<DomoAnswer> timedLater(String operation, Supplier<Uni<DomoAnswer>> call) {
        long started = System.nanoTime();
        return call.get().onItemOrFailure().invoke((answer, failure) -> record(operation, started, answer, failure));
    }

    private void record(String operation, long started, DomoAnswer answer, Throwable failure) {
        String status = answer != null ? Integer.toString(answer.status())
                : failure instanceof DomoTransportException e && e.kind() == DomoTransportException.Kind.DEADLINE
                        ? "timeout" : "none";
        long elapsed = System.nanoTime() - started;
        calls.withTags("operation", operation, "status", status).record(elapsed, TimeUnit.NANOSECONDS);
        DomoWait.add(elapsed);
    }
}
