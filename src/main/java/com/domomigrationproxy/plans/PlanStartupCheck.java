package com.domomigrationproxy.plans;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a plan setting that cannot mean what it says: no approvals (which would
 * not switch four-eyes off), no item, fetch or plan allowed to run at once, or a duration that is
 * not positive (an approval that expires as it is given, a claim lost as it is made).
 */
@ApplicationScoped
class PlanStartupCheck {

    void onStart(@Observes StartupEvent event, PlanConfig config) {
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
    }

    static List<String> problems(PlanConfig config) {
        List<String> problems = new ArrayList<>();
        atLeastOne(problems, "PROXY_PLAN_APPROVALS_REQUIRED", config.approvalsRequired(),
                "a plan always needs an approver other than its creator");
        atLeastOne(problems, "PROXY_PLAN_DEFAULT_MAX_CONCURRENCY", config.defaultMaxConcurrency(), null);
        atLeastOne(problems, "PROXY_PLAN_REPLICA_CONCURRENCY", config.replicaConcurrency(),
                "set PROXY_PLAN_POLL_INTERVAL=off for a replica that runs no plan item");
        atLeastOne(problems, "PROXY_PLAN_PREFLIGHT_CONCURRENCY", config.preflightConcurrency(), null);
        atLeastOne(problems, "PROXY_PLAN_MAX_ACCOUNTS", config.maxAccounts(), null);
        atLeastOne(problems, "PROXY_PLAN_EVENT_STREAMS", config.eventStreams(), null);
        atLeastOne(problems, "PROXY_PLAN_EVENT_STREAMS_PER_PRINCIPAL", config.eventStreamsPerPrincipal(), null);
        positive(problems, "PROXY_PLAN_APPROVAL_TTL", config.approvalTtl());
        positive(problems, "PROXY_PLAN_LEASE", config.lease());
        positive(problems, "PROXY_PLAN_BUSY_RETRY", config.busyRetry());
        positive(problems, "PROXY_PLAN_UPLOAD_TIMEOUT", config.uploadTimeout());
        return problems;
    }

    private static void positive(List<String> problems, String variable, Duration value) {
        if (value.isNegative() || value.isZero()) {
            problems.add(variable + " must be longer than 0, not " + value);
        }
    }

    private static void atLeastOne(List<String> problems, String variable, int value, String hint) {
        if (value < 1) {
            problems.add(variable + " must be at least 1, not " + value + (hint == null ? "" : " (" + hint + ")"));
        }
    }
}
