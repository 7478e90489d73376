package com.domomigrationproxy.migration;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a setting of the migrations that cannot mean what it says: a rate of no
 * operation a minute (every migration a 429, in silence), an Idempotency-Key kept for no time, a
 * negative grace or clock skew for reconciliation.
 */
@ApplicationScoped
class MigrationStartupCheck {

    void onStart(@Observes StartupEvent event, RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency) {
        SettingProblems.refuseStart(problems(rateLimit, reconciliation, idempotency));
    }

    static List<String> problems(RateLimitConfig rateLimit, ReconciliationConfig reconciliation,
            IdempotencyConfig idempotency) {
        return new SettingProblems()
                .atLeast("PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE", rateLimit.operationsPerMinute(), 1, null)
                .notNegative("PROXY_RECONCILIATION_PENDING_GRACE", reconciliation.pendingGrace())
                .notNegative("PROXY_RECONCILIATION_CLOCK_SKEW", reconciliation.clockSkew())
                .positive("PROXY_IDEMPOTENCY_RETENTION", idempotency.retention()).list();
    }
}
