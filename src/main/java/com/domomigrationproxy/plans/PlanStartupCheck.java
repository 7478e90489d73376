package com.domomigrationproxy.plans;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a plan setting that cannot mean what it says: no approvals (which would
 * not switch four-eyes off), no item, fetch or plan allowed to run at once, or a duration that is
 * not positive (an approval that expires as it is given, a claim lost as it is made).
 */
@ApplicationScoped
class PlanStartupCheck {

    void onStart(@Observes StartupEvent event, PlanConfig config, IdempotencyConfig idempotency) {
        SettingProblems.refuseStart(problems(config, idempotency));
    }

    static List<String> problems(PlanConfig config, IdempotencyConfig idempotency) {
        SettingProblems problems = new SettingProblems();
        // An upload's key is taken over once its preflight counts as abandoned: it must outlive that moment.
        Duration running = idempotency.abandonedAfter(config.preflightTimeout());
        if (idempotency.retention().compareTo(running) < 0) {
            problems.add("PROXY_IDEMPOTENCY_RETENTION must be at least PROXY_PLAN_PREFLIGHT_TIMEOUT plus "
                    + "PROXY_IDEMPOTENCY_ABANDON_MARGIN (" + running + "), not " + idempotency.retention()
                    + ": a key that expired while its upload could still run would let a repeat store another plan");
        }
        return problems
                .atLeast("PROXY_PLAN_APPROVALS_REQUIRED", config.approvalsRequired(), 1,
                        "a plan always needs an approver other than its creator")
                // As an upload's own maxConcurrency: the plans table takes no other value.
                .within("PROXY_PLAN_DEFAULT_MAX_CONCURRENCY", config.defaultMaxConcurrency(), 1,
                        PlanUpload.MAX_CONCURRENCY)
                .atLeast("PROXY_PLAN_REPLICA_CONCURRENCY", config.replicaConcurrency(), 1,
                        "set PROXY_PLAN_POLL_INTERVAL=off for a replica that runs no plan item")
                .atLeast("PROXY_PLAN_PREFLIGHT_CONCURRENCY", config.preflightConcurrency(), 1, null)
                .atLeast("PROXY_PLAN_MAX_ACCOUNTS", config.maxAccounts(), 1, null)
                .atLeast("PROXY_PLAN_EVENT_STREAMS", config.eventStreams(), 1, null)
                .atLeast("PROXY_PLAN_EVENT_STREAMS_PER_PRINCIPAL", config.eventStreamsPerPrincipal(), 1, null)
                .positive("PROXY_PLAN_APPROVAL_TTL", config.approvalTtl())
                .positive("PROXY_PLAN_LEASE", config.lease())
                .positive("PROXY_PLAN_BUSY_RETRY", config.busyRetry())
                .positive("PROXY_PLAN_UPLOAD_TIMEOUT", config.uploadTimeout())
                .positive("PROXY_PLAN_PREFLIGHT_TIMEOUT", config.preflightTimeout())
                .within("PROXY_PLAN_TURNED_AWAY_RECHECK (seconds)", config.turnedAwayRecheck().toSeconds(), 1,
                        PlanExecutor.TURNED_AWAY_LONGEST.toSeconds())
                .within("PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX (seconds)", config.rateLimitHoldBackMax().toSeconds(), 1,
                        PlanExecutor.TURNED_AWAY_LONGEST.toSeconds()).list();
    }
}
