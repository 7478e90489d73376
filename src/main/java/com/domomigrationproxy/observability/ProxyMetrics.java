package com.domomigrationproxy.observability;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.audit.Direction;
import com.domomigrationproxy.audit.OperationState;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;

/**
 * The service's own metrics, scraped as Prometheus text at {@code /q/metrics} on the management
 * port. Every tag takes its value from a small fixed set (operation names, HTTP statuses, enum
 * states): never a datasource id, a principal or a path, so the number of series stays bounded.
 */
@ApplicationScoped
public class ProxyMetrics {

    /** Which audit write failed: the intent (Domo was then not called) or the outcome (Domo had answered). */
    public enum AuditPhase {
        INTENT, OUTCOME;

        String tag() {
            return name().toLowerCase();
        }
    }

    /** Key of the per-request Domo wait in the request's Vert.x context (see {@link AccessLog}). */
    static final String DOMO_WAIT = ProxyMetrics.class.getName() + ".domoWait";

    /** Up to the 120 s migration deadline. */
    private static final Duration[] LATENCY_BUCKETS = millis(10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
            30_000, 60_000, 120_000);
    /** What the proxy adds should stay in milliseconds. */
    private static final Duration[] OVERHEAD_BUCKETS = micros(1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
            250_000, 500_000, 1_000_000);

    private final Meter.MeterProvider<Timer> requests;
    private final Meter.MeterProvider<Timer> overhead;
    private final Meter.MeterProvider<Timer> domoCalls;
    private final Meter.MeterProvider<Counter> operations;
    private final Meter.MeterProvider<Counter> auditWriteFailures;

    @Inject
    ProxyMetrics(MeterRegistry registry) {
        requests = Timer.builder("proxy.requests")
                .description("Requests on the public port, by API operation and HTTP status")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .withRegistry(registry);
        overhead = Timer.builder("proxy.overhead")
                .description("Time a request spent in this service rather than waiting for Domo, by API operation")
                .serviceLevelObjectives(OVERHEAD_BUCKETS)
                .withRegistry(registry);
        domoCalls = Timer.builder("domo.calls")
                .description("Calls to Domo (or the sandbox), by Domo operation and upstream HTTP status")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .withRegistry(registry);
        operations = Counter.builder("proxy.operations")
                .description("Migrations and reversals by the state they ended in")
                .withRegistry(registry);
        auditWriteFailures = Counter.builder("audit.write.failures")
                .description("Audit writes that could not be committed, by phase")
                .withRegistry(registry);
        // Known series start at zero, so that rate() and alerts work before the first event.
        for (AuditPhase phase : AuditPhase.values()) {
            auditWriteFailures.withTags("phase", phase.tag());
        }
        for (Direction direction : Direction.values()) {
            for (OperationState state : OperationState.values()) {
                if (state != OperationState.PENDING) {
                    operations.withTags("direction", direction.name(), "state", state.name());
                }
            }
        }
    }

    /** One answered request on the public port; {@code domoWaitNanos} is the part spent waiting for Domo. */
    void requestCompleted(String operation, String status, long durationNanos, long domoWaitNanos) {
        requests.withTags("operation", operation, "outcome", outcome(status), "status", status)
                .record(durationNanos, TimeUnit.NANOSECONDS);
        overhead.withTags("operation", operation)
                .record(Math.max(0, durationNanos - domoWaitNanos), TimeUnit.NANOSECONDS);
    }

    /**
     * One call to Domo. {@code operation} is one of types, accounts, candidates, migrate, reverse;
     * {@code status} is Domo's HTTP status, {@code timeout} or {@code none} (no answer). The time
     * also counts as Domo wait of the request being served, if any.
     */
    public void domoCall(String operation, String status, long durationNanos) {
        domoCalls.withTags("operation", operation, "status", status).record(durationNanos, TimeUnit.NANOSECONDS);
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.<AtomicLong>get(DOMO_WAIT).ifPresent(wait -> wait.addAndGet(durationNanos));
        }
    }

    /** A migration or reversal reached its final state (whether or not the audit store took it). */
    public void operationFinished(Direction direction, OperationState state) {
        operations.withTags("direction", direction.name(), "state", state.name()).increment();
    }

    public void auditWriteFailed(AuditPhase phase) {
        auditWriteFailures.withTags("phase", phase.tag()).increment();
    }

    static String outcome(String status) {
        return status.length() == 3 && Character.isDigit(status.charAt(0)) ? status.charAt(0) + "xx" : status;
    }

    private static Duration[] millis(long... values) {
        return Arrays.stream(values).mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    }

    private static Duration[] micros(long... values) {
        return Arrays.stream(values).mapToObj(value -> Duration.ofNanos(value * 1_000)).toArray(Duration[]::new);
    }
}
