package com.domomigrationproxy.migration;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a setting of the migrations that cannot mean what it says: a rate of no
 * operation a minute (every migration a 429, in silence), an Idempotency-Key kept for less time
 * than its request may run (a repeat would send it again), a negative grace or clock skew for
 * reconciliation. Warns of a shutdown wait shorter than a migration may run, and of a grace shorter than an
 * intent's transaction may wait for a lock.
 */
@ApplicationScoped
class MigrationStartupCheck {

    private static final Logger LOG = Logger.getLogger(MigrationStartupCheck.class);
    /**
     * What a migration in flight may wait besides Domo's deadline: the pool's wait for a connection
     * (5 s) for its intent before Domo is called, and again for its outcome after Domo answered.
     */
    static final Duration POOL_WAITS = Duration.ofSeconds(10);

    void onStart(@Observes StartupEvent event, RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency, DomoConfig domo) {
        SettingProblems.refuseStart(problems(rateLimit, reconciliation, idempotency, domo));
        // Dev mode and tests stop quickly on purpose (5 s).
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            shutdownTooShort(ConfigProvider.getConfig().getOptionalValue("quarkus.shutdown.timeout", Duration.class),
                    domo).ifPresent(LOG::warn);
            graceTooShort(reconciliation).ifPresent(LOG::warn);
        }
    }

    /**
     * Why PROXY_RECONCILIATION_PENDING_GRACE cannot cover an intent's transaction waiting for a row
     * lock after its intent was written; empty when it can. Not a refusal: tests reconcile at once
     * on purpose, and such a wait is rare.
     */
    static Optional<String> graceTooShort(ReconciliationConfig reconciliation) {
        if (reconciliation.pendingGrace().compareTo(OperationStore.INTENT_LOCK_WAIT) >= 0) {
            return Optional.empty();
        }
        return Optional.of("PROXY_RECONCILIATION_PENDING_GRACE (" + reconciliation.pendingGrace() + ") is shorter than "
                + OperationStore.INTENT_LOCK_WAIT.toSeconds() + " s, which an intent's transaction may wait for a lock after"
                + " its intent was recorded: reconciliation may take such a migration for abandoned while Domo carries it out");
    }

    /**
     * Why the shutdown wait (QUARKUS_SHUTDOWN_TIMEOUT) cannot let a migration in flight at SIGTERM
     * end and record its outcome; empty when it can. Not a refusal: such a migration is reconciled
     * later, but its caller gets no answer and its data source stays locked until then.
     */
    static Optional<String> shutdownTooShort(Optional<Duration> shutdownTimeout, DomoConfig domo) {
        Duration needed = domo.migrationTimeout().plus(POOL_WAITS);
        if (shutdownTimeout.isPresent() && shutdownTimeout.get().compareTo(needed) >= 0) {
            return Optional.empty();
        }
        return Optional.of("QUARKUS_SHUTDOWN_TIMEOUT (" + shutdownTimeout.map(Duration::toString).orElse("none")
                + ") is shorter than DOMO_MIGRATION_TIMEOUT plus " + POOL_WAITS.toSeconds() + " s (" + needed
                + "): a migration in flight at shutdown may be cut off before Domo answers; its caller gets no answer,"
                + " and it stays PENDING until reconciliation resolves it");
    }

    static List<String> problems(RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency, DomoConfig domo) {
        SettingProblems problems = new SettingProblems()
                .atLeast("PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", rateLimit.operationsPerMinute(), 1, null)
                .atLeast("PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS", rateLimit.concurrentOperations(), 1, null)
                .notNegative("PROXY_RECONCILIATION_PENDING_GRACE", reconciliation.pendingGrace())
                .notNegative("PROXY_RECONCILIATION_CLOCK_SKEW", reconciliation.clockSkew())
                // None: a key would be taken over while its request's outcome is still being recorded.
                .positive("PROXY_IDEMPOTENCY_ABANDON_MARGIN", idempotency.abandonMargin());
        // A key is taken over once its request counts as abandoned: it must outlive that moment.
        Duration running = idempotency.abandonedAfter(domo.migrationTimeout());
        if (idempotency.retention().compareTo(running) < 0) {
            problems.add("PROXY_IDEMPOTENCY_RETENTION must be at least DOMO_MIGRATION_TIMEOUT plus "
                    + "PROXY_IDEMPOTENCY_ABANDON_MARGIN (" + running + "), not " + idempotency.retention()
                    + ": a key that expired while its request could still run would let a repeat send it to Domo again");
        }
        // A key's expiry is stored: one past PostgreSQL's last date failed every keyed write with a 503 (review).
        if (idempotency.retention().compareTo(IdempotencyStore.MAX_RETENTION) > 0) {
            problems.add("PROXY_IDEMPOTENCY_RETENTION must be at most " + IdempotencyStore.MAX_RETENTION.toDays()
                    + "d (100 years), not " + idempotency.retention() + ": a key's expiry past the database's last date"
                    + " would fail every request that carries an Idempotency-Key");
        }
        return problems.list();
    }
}
