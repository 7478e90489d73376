package com.domomigrationproxy.domo;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;

/**
 * Checks now and then that Domo accepts the service's token, with the cheapest Domo call
 * ({@code GET /types} through {@link DomoClient}), and keeps the last result for the health
 * checks, so that a health request never calls Domo itself. Never runs in sandbox mode.
 */
@ApplicationScoped
public class DomoTokenMonitor {

    /** What the last check found. */
    public enum State {
        /** No check has finished yet. */
        UNCHECKED,
        /** Domo answered 2xx with the list of types. */
        OK,
        /** Domo answered 401 or 403: the token is wrong, expired or its owner lost the rights. */
        REJECTED,
        /** Anything else: no answer, a 5xx, a redirect (IP allow-list), an unreadable answer, no token to send. */
        UNREACHABLE;

        public String label() {
            return name().toLowerCase();
        }
    }

    /**
     * The last check's result. {@code problemType} (the problem a caller would get, e.g. {@code
     * …:domo-timeout}) and {@code upstreamStatus} say why it was not ok; neither can hold the token
     * or any text that Domo sent.
     */
    public record Status(State state, Instant lastCheckedAt, Instant lastOkAt, String problemType,
            Integer upstreamStatus) {
    }

    private static final Logger LOG = Logger.getLogger(DomoTokenMonitor.class);

    private final DomoClient domo;
    private final DomoConfig domoConfig;
    private volatile Status status = new Status(State.UNCHECKED, null, null, null, null);

    @Inject
    DomoTokenMonitor(DomoClient domo, DomoConfig domoConfig) {
        this.domo = domo;
        this.domoConfig = domoConfig;
    }

    public boolean sandbox() {
        return domoConfig.sandbox().enabled();
    }

    public Status status() {
        return status;
    }

    @Scheduled(identity = "domo-token-check", every = "${domo.health.check-interval:60s}",
            delayed = "${domo.health.initial-delay:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = InSandbox.class)
    void check() {
        Status previous = status;
        Instant now = Instant.now();
        Status next;
        try {
            domo.listTypes();
            next = new Status(State.OK, now, now, null, null);
        } catch (DomoCallException e) {
            State state = e.type() == ProblemType.DOMO_REJECTED_CREDENTIALS ? State.REJECTED : State.UNREACHABLE;
            next = new Status(state, now, previous.lastOkAt(), e.type().uri(), e.upstreamStatus());
        } catch (ProblemException e) {
            // Refused before any call (the circuit breaker is open): the problem a caller gets now.
            next = new Status(State.UNREACHABLE, now, previous.lastOkAt(), e.type().uri(), null);
        } catch (RuntimeException e) {
            // Whatever else happens, the next check must still run.
            LOG.warnf("Domo token check failed unexpectedly: %s", e.getClass().getName());
            next = new Status(State.UNREACHABLE, now, previous.lastOkAt(), ProblemType.INTERNAL.uri(), null);
        }
        status = next;
        if (next.state() != previous.state()) {
            if (next.state() == State.OK) {
                LOG.infof("Domo accepts the developer token (GET /types answered)");
            } else {
                LOG.warnf("Domo token check: %s (%s, upstream status %s); migrations will fail until this is fixed",
                        next.state().label(), next.problemType(), next.upstreamStatus());
            }
        }
    }

    /** The sandbox needs no token: nothing to check. */
    @Singleton
    static class InSandbox implements Scheduled.SkipPredicate {

        private final DomoConfig config;

        @Inject
        InSandbox(DomoConfig config) {
            this.config = config;
        }

        @Override
        public boolean test(ScheduledExecution execution) {
            return config.sandbox().enabled();
        }
    }
}
