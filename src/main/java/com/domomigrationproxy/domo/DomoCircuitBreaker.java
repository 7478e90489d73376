package com.domomigrationproxy.domo;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * Closed: calls pass. After {@code failureThreshold} consecutive Domo failures it opens: calls are
 * refused with 503 and Retry-After for {@code openDuration}. Then one trial call is let through
 * (half-open): success closes the breaker, failure opens it again. Per replica, on purpose: each
 * replica protects Domo from its own traffic without a shared store on the request path.
 */
@ApplicationScoped
public class DomoCircuitBreaker {

    private static final Logger LOG = Logger.getLogger(DomoCircuitBreaker.class);

    private final int failureThreshold;
    private final long openNanos;
    private int consecutiveFailures;
    private long openUntilNanos;
    private boolean open;
    private boolean trialInFlight;

    @Inject
    DomoCircuitBreaker(DomoConfig config) {
        this.failureThreshold = config.circuitBreaker().failureThreshold();
        this.openNanos = config.circuitBreaker().openDuration().toNanos();
    }

    /** Throws 503 while open; in half-open state lets exactly one caller through. */
    public synchronized void acquire() {
        if (!open) {
            return;
        }
        long now = System.nanoTime();
        if (now < openUntilNanos || trialInFlight) {
            long waitSeconds = Math.max(1, (Math.max(openUntilNanos - now, 0) + 999_999_999L) / 1_000_000_000L);
            throw new ProblemException(503, ProblemType.DOMO_CIRCUIT_OPEN,
                    "Domo failed repeatedly; calls are paused, retry after the delay in Retry-After")
                    .withHeader("Retry-After", Long.toString(waitSeconds));
        }
        trialInFlight = true;
    }

    /**
     * Refuses early, before anything is recorded, while the breaker is certainly open; unlike
     * {@link #acquire()} it never takes the half-open trial.
     */
    public synchronized void rejectIfOpen() {
        if (open && System.nanoTime() < openUntilNanos) {
            acquire();
        }
    }

    synchronized void onSuccess() {
        if (open) {
            LOG.info("Domo answered again: circuit breaker closed");
        }
        open = false;
        trialInFlight = false;
        consecutiveFailures = 0;
    }

    synchronized void onFailure() {
        consecutiveFailures++;
        if (trialInFlight || (!open && consecutiveFailures >= failureThreshold)) {
            LOG.warnf("Domo failed %d time(s) in a row: circuit breaker open for %d s", consecutiveFailures,
                    openNanos / 1_000_000_000L);
            open = true;
            openUntilNanos = System.nanoTime() + openNanos;
        }
        trialInFlight = false;
    }

    /** For health output and metrics. */
    public synchronized boolean isOpen() {
        return open;
    }
}
