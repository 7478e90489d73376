package com.domomigrationproxy.migration;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * The API's limits on migrate and reverse: a number in flight at once on this replica, and a
 * per-caller token bucket: {@code operationsPerMinute} tokens, refilled
 * continuously, so a caller may burst up to the limit and then sustain it. Per replica: with N
 * replicas behind a balancer a caller gets at most N times the limit.
 *
 * <p>The buckets live in a bounded Caffeine cache: a bucket untouched for a minute is full again,
 * so evicting it changes nothing, and the cap bounds memory whatever the number of callers.
 */
@ApplicationScoped
class OperationRateLimiter {

    /** Callers tracked at once; beyond, the least recently seen bucket goes (and comes back full). */
    static final long MAX_CALLERS = 10_000;
    /** Retry-After of a 503 busy: a few seconds, as Domo answers most calls in under that. */
    static final long IN_FLIGHT_RETRY_AFTER_SECONDS = 5;

    private final double capacity;
    private final double tokensPerNano;
    private final Cache<String, Bucket> buckets;
    private final BusyGate inFlight;

    @Inject
    OperationRateLimiter(RateLimitConfig config) {
        this.inFlight = new BusyGate(Math.max(1, config.concurrentOperations()), Duration.ZERO,
                config.concurrentOperations() + " migrations and reversals are already waiting for Domo on this replica"
                        + " (PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS); nothing was recorded", IN_FLIGHT_RETRY_AFTER_SECONDS);
        this.capacity = config.operationsPerMinute();
        this.tokensPerNano = capacity / 60e9;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(MAX_CALLERS)
                .expireAfterAccess(Duration.ofMinutes(1))
                .build();
    }

    /**
     * A turn among the migrations and reversals in flight on this replica, or 503 busy; the turn
     * ends when the returned action first runs.
     */
    Runnable enterInFlight() {
        return inFlight.enter();
    }

    /** Takes a token for this principal, or throws 429 with the seconds until one is available. */
    void acquire(String principal) {
        Bucket bucket = buckets.get(principal, ignored -> new Bucket(capacity, System.nanoTime()));
        long waitNanos;
        synchronized (bucket) {
            long now = System.nanoTime();
            bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.refilledAt) * tokensPerNano);
            bucket.refilledAt = now;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return;
            }
            waitNanos = (long) ((1 - bucket.tokens) / tokensPerNano);
        }
        long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        throw new ProblemException(429, ProblemType.RATE_LIMITED, "At most " + (long) capacity
                + " migrations and reversals per minute per caller; retry after the delay in Retry-After")
                .withRetryAfter(seconds);
    }

    /** How many callers are tracked now (after pending evictions). */
    long trackedCallers() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }

    private static final class Bucket {
        double tokens;
        long refilledAt;

        Bucket(double tokens, long refilledAt) {
            this.tokens = tokens;
            this.refilledAt = refilledAt;
        }
    }
}
