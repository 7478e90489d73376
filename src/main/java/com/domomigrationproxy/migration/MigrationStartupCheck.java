package com.domomigrationproxy.migration;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a setting of the migrations that cannot mean what it says: a rate of no
 * operation a minute (every migration a 429, in silence), an Idempotency-Key kept for less time
 * than its request may run (a repeat would send it again), a negative grace or clock skew for
 * reconciliation.
 */
@ApplicationScoped
class MigrationStartupCheck {

    void onStart(@Observes StartupEvent event, RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency, DomoConfig domo) {
        SettingProblems.refuseStart(problems(rateLimit, reconciliation, idempotency, domo));
    }

    static List<String> problems(RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency, DomoConfig domo) {
        SettingProblems problems = new SettingProblems()
                .atLeast("PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", rateLimit.operationsPerMinute(), 1, null)
                .notNegative("PROXY_RECONCILIATION_PENDING_GRACE", reconciliation.pendingGrace())
                .notNegative("PROXY_RECONCILIATION_CLOCK_SKEW", reconciliation.clockSkew());
        // A key is taken over once its request counts as abandoned: it must outlive that moment.
        Duration running = domo.migrationTimeout().plus(IdempotencyStore.ABANDON_MARGIN);
        if (idempotency.retention().compareTo(running) < 0) {
            problems.add("PROXY_IDEMPOTENCY_RETENTION must be at least DOMO_MIGRATION_TIMEOUT plus "
                    + IdempotencyStore.ABANDON_MARGIN.toSeconds() + " s (" + running + "), not " + idempotency.retention()
                    + ": a key that expired while its request could still run would let a repeat send it to Domo again");
        }
        return problems.list();
    }
}
