package com.domomigrationproxy.web;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Request metrics of the public port, scraped as Prometheus text at {@code /q/metrics} on the
 * management port. Every tag takes its value from a small fixed set (operation names, HTTP
 * statuses): never a datasource id, a principal or a path, so the number of series stays bounded.
 *
 * <p>Each request records two samples on the event loop. The timers are looked up once per
 * operation and status and kept, so that a request costs two array reads and two recordings, not a
 * registry lookup with tags built anew.
 */
@ApplicationScoped
class RequestMetrics {

    /** Up to the 120 s migration deadline. */
    private static final Duration[] LATENCY_BUCKETS = millis(10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
            30_000, 60_000, 120_000);
    /** What the proxy adds should stay in milliseconds. */
    private static final Duration[] OVERHEAD_BUCKETS = Arrays.stream(new long[] { 1_000, 2_500, 5_000, 10_000, 25_000,
            50_000, 100_000, 250_000, 500_000, 1_000_000 }).mapToObj(micros -> Duration.ofNanos(micros * 1_000))
            .toArray(Duration[]::new);
    /** The status of a request whose connection closed before the response went out. */
    static final int CLOSED = -1;
    private static final int STATUSES = 600;

    private final Meter.MeterProvider<Timer> requests;
    private final Meter.MeterProvider<Timer> overhead;
    private final Map<String, OperationMeters> byOperation = new ConcurrentHashMap<>();

    @Inject
    RequestMetrics(MeterRegistry registry) {
        requests = Timer.builder("proxy.requests")
                .description("Requests on the public port, by API operation and HTTP status")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .withRegistry(registry);
        overhead = Timer.builder("proxy.overhead")
                .description("Time a request spent in this service rather than waiting for Domo, by API operation")
                .serviceLevelObjectives(OVERHEAD_BUCKETS)
                .withRegistry(registry);
    }

    /**
     * One answered request on the public port ({@link #CLOSED} when none went out);
     * {@code domoWaitNanos} is the part spent waiting for Domo.
     */
    void requestCompleted(String operation, int status, long durationNanos, long domoWaitNanos) {
        OperationMeters meters = byOperation.get(operation);
        if (meters == null) {
            meters = byOperation.computeIfAbsent(operation, OperationMeters::new);
        }
        meters.requests(status).record(durationNanos, TimeUnit.NANOSECONDS);
        meters.overhead.record(Math.max(0, durationNanos - domoWaitNanos), TimeUnit.NANOSECONDS);
    }

    static String status(int status) {
        return status == CLOSED ? "closed" : Integer.toString(status);
    }

    static String outcome(String status) {
        return status.length() == 3 && Character.isDigit(status.charAt(0)) ? status.charAt(0) + "xx" : status;
    }

    private static Duration[] millis(long... values) {
        return Arrays.stream(values).mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    }

    /** The timers of one operation: its overhead, and its requests by status (index 0 for "closed"). */
    private final class OperationMeters {
        private final String operation;
        private final Timer overhead;
        private final AtomicReferenceArray<Timer> byStatus = new AtomicReferenceArray<>(STATUSES);

        OperationMeters(String operation) {
            this.operation = operation;
            this.overhead = RequestMetrics.this.overhead.withTags("operation", operation);
        }

        Timer requests(int status) {
            int index = status >= 100 && status < STATUSES ? status : 0;
            Timer timer = byStatus.get(index);
            if (timer == null) {
                String text = index == 0 ? status(status) : Integer.toString(status);
                timer = RequestMetrics.this.requests.withTags("operation", operation, "outcome", outcome(text),
                        "status", text);
                if (index != 0) {
                    byStatus.set(index, timer);
                }
            }
            return timer;
        }
    }
}
