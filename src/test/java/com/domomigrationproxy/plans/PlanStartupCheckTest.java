package com.domomigrationproxy.plans;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.support.ConfigMappings;


/** A plan setting below 1 (or above its limit), or a duration not above 0, stops the start with its name, instead of failing later. */
class PlanStartupCheckTest {

    @Test
    void theDefaultsPass() {
        assertThat(PlanStartupCheck.problems(config(Map.of()), idempotency(Map.of()))).isEmpty();
    }

    @Test
    void zeroApprovalsOrNoConcurrencyIsRefusedByName() {
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.approvals-required", "0",
                "proxy.plan.replica-concurrency", "-1", "proxy.plan.default-max-concurrency", "0",
                "proxy.plan.preflight-concurrency", "0", "proxy.plan.max-accounts", "0",
                "proxy.plan.event-streams", "0", "proxy.plan.event-streams-per-principal", "0")), idempotency(Map.of()))).containsExactly(
                        "PROXY_PLAN_APPROVALS_REQUIRED must be at least 1, not 0 (a plan always needs an approver other"
                                + " than its creator)",
                        "PROXY_PLAN_DEFAULT_MAX_CONCURRENCY must be from 1 to 64, not 0",
                        "PROXY_PLAN_REPLICA_CONCURRENCY must be at least 1, not -1 (set PROXY_PLAN_POLL_INTERVAL=off"
                                + " for a replica that runs no plan item)",
                        "PROXY_PLAN_PREFLIGHT_CONCURRENCY must be at least 1, not 0",
                        "PROXY_PLAN_MAX_ACCOUNTS must be at least 1, not 0",
                        "PROXY_PLAN_EVENT_STREAMS must be at least 1, not 0",
                        "PROXY_PLAN_EVENT_STREAMS_PER_PRINCIPAL must be at least 1, not 0");
    }

    /** Above an upload's own limit, every upload that named none failed to be stored (500). */
    @Test
    void aDefaultConcurrencyAboveWhatAnUploadMayAskIsRefused() {
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.default-max-concurrency", "65")), idempotency(Map.of())))
                .containsExactly("PROXY_PLAN_DEFAULT_MAX_CONCURRENCY must be from 1 to 64, not 65");
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.default-max-concurrency", "64")), idempotency(Map.of()))).isEmpty();
    }

    @Test
    void aDurationThatIsNotPositiveIsRefusedByName() {
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.approval-ttl", "0s", "proxy.plan.lease", "-1s",
                "proxy.plan.busy-retry", "0s", "proxy.plan.upload-timeout", "0s", "proxy.plan.preflight-timeout", "0s")), idempotency(Map.of())))
                .containsExactly(
                        "PROXY_PLAN_APPROVAL_TTL must be longer than 0, not PT0S",
                        "PROXY_PLAN_LEASE must be longer than 0, not PT-1S",
                        "PROXY_PLAN_BUSY_RETRY must be longer than 0, not PT0S",
                        "PROXY_PLAN_UPLOAD_TIMEOUT must be longer than 0, not PT0S",
                        "PROXY_PLAN_PREFLIGHT_TIMEOUT must be longer than 0, not PT0S");
    }

    /** An upload's Idempotency-Key is taken over once its preflight may have ended: it must be kept longer. */
    @Test
    void anIdempotencyKeyMustOutliveItsUploadsPreflight() {
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.preflight-timeout", "2h")),
                idempotency(Map.of("proxy.idempotency.retention", "2h")))).containsExactly(
                        "PROXY_IDEMPOTENCY_RETENTION must be at least PROXY_PLAN_PREFLIGHT_TIMEOUT plus"
                                + " PROXY_IDEMPOTENCY_ABANDON_MARGIN (PT2H30S),"
                                + " not PT2H: a key that expired while its upload could still run would let a repeat"
                                + " store another plan");
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.preflight-timeout", "2h")),
                idempotency(Map.of("proxy.idempotency.retention", "2h1m")))).isEmpty();
    }

    /** Held back in whole seconds: under 1 s the wait would never double (0 << n is 0). */
    @Test
    void aRecheckOfDomoUnderASecondOrOverTheLongestWaitIsRefused() {
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.turned-away-recheck", "500ms")), idempotency(Map.of())))
                .containsExactly("PROXY_PLAN_TURNED_AWAY_RECHECK (seconds) must be from 1 to 300, not 0");
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.turned-away-recheck", "6m")), idempotency(Map.of())))
                .containsExactly("PROXY_PLAN_TURNED_AWAY_RECHECK (seconds) must be from 1 to 300, not 360");
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.turned-away-recheck", "1s")), idempotency(Map.of()))).isEmpty();
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.rate-limit-hold-back-max", "10m")), idempotency(Map.of())))
                .containsExactly("PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX (seconds) must be from 1 to 300, not 600");
        assertThat(PlanStartupCheck.problems(config(Map.of("proxy.plan.rate-limit-hold-back-max", "0s")), idempotency(Map.of())))
                .containsExactly("PROXY_PLAN_RATE_LIMIT_HOLD_BACK_MAX (seconds) must be from 1 to 300, not 0");
    }

    /** Every allowed first wait doubles up to the longest, 5 min, and stays there. */
    @Test
    void theRecheckDoublesUpToFiveMinutesWhateverItStartsAt() {
        assertThat(LongStream.rangeClosed(1, 12).map(n -> PlanExecutor.recheckSeconds(Duration.ofSeconds(5), n))
                .toArray()).containsExactly(5, 10, 20, 40, 80, 160, 300, 300, 300, 300, 300, 300);
        assertThat(PlanExecutor.recheckSeconds(Duration.ofSeconds(1), 10)).isEqualTo(300);
        assertThat(PlanExecutor.recheckSeconds(Duration.ofSeconds(1), 9)).isEqualTo(256);
        assertThat(PlanExecutor.recheckSeconds(Duration.ofMinutes(5), Long.MAX_VALUE)).isEqualTo(300);
    }

    private static PlanConfig config(Map<String, String> values) {
        return ConfigMappings.of(PlanConfig.class, values);
    }

    private static IdempotencyConfig idempotency(Map<String, String> values) {
        return ConfigMappings.of(IdempotencyConfig.class, values);
    }
}
