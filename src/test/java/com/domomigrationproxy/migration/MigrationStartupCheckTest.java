package com.domomigrationproxy.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.support.ConfigMappings;

import io.smallrye.config.SmallRyeConfig;

/**
 * Migration settings that switch a guard off in silence, or fail every call (a rate of 0 answered
 * every migration 429), stop the start, each named with the value it cannot take.
 */
class MigrationStartupCheckTest {

    @Test
    void theDefaultsPass() {
        assertThat(problems(Map.of())).isEmpty();
    }

    @Test
    void migrationSettingsThatSwitchThemOffInSilenceAreRefusedByName() {
        assertThat(problems(Map.of("proxy.rate-limit.operations-per-minute", "0",
                "proxy.rate-limit.concurrent-operations", "0",
                "proxy.reconciliation.pending-grace", "-60s", "proxy.reconciliation.clock-skew", "-60s",
                "proxy.idempotency.retention", "-1h", "proxy.idempotency.abandon-margin", "0s"))).containsExactly(
                        "PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE must be at least 1, not 0",
                        "PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS must be at least 1, not 0",
                        "PROXY_RECONCILIATION_PENDING_GRACE must not be negative, not PT-1M",
                        "PROXY_RECONCILIATION_CLOCK_SKEW must not be negative, not PT-1M",
                        "PROXY_IDEMPOTENCY_ABANDON_MARGIN must be longer than 0, not PT0S",
                        "PROXY_IDEMPOTENCY_RETENTION must be at least DOMO_MIGRATION_TIMEOUT plus"
                                + " PROXY_IDEMPOTENCY_ABANDON_MARGIN (PT2M),"
                                + " not PT-1H: a key that expired while its request could still run would let a"
                                + " repeat send it to Domo again");
    }

    /** A key kept for less than its request may run (the deadline and the margin) could be sent twice. */
    @Test
    void anIdempotencyKeyMustOutliveItsRequest() {
        assertThat(problems(Map.of("domo.migration-timeout", "10m", "proxy.idempotency.retention", "10m")))
                .singleElement().asString().startsWith("PROXY_IDEMPOTENCY_RETENTION must be at least"
                        + " DOMO_MIGRATION_TIMEOUT plus PROXY_IDEMPOTENCY_ABANDON_MARGIN (PT10M30S), not PT10M");
        assertThat(problems(Map.of("domo.migration-timeout", "10m", "proxy.idempotency.retention", "630s"))).isEmpty();
        // The margin counts as much as the deadline.
        assertThat(problems(Map.of("domo.migration-timeout", "10m", "proxy.idempotency.retention", "630s",
                "proxy.idempotency.abandon-margin", "31s"))).singleElement().asString()
                .startsWith("PROXY_IDEMPOTENCY_RETENTION must be at least DOMO_MIGRATION_TIMEOUT plus"
                        + " PROXY_IDEMPOTENCY_ABANDON_MARGIN (PT10M31S), not PT10M30S");
        // Nor past the database's last date, which every keyed write would then fail on.
        assertThat(problems(Map.of("proxy.idempotency.retention", "999999999d"))).singleElement().asString()
                .startsWith("PROXY_IDEMPOTENCY_RETENTION must be at most 36500d (100 years)");
        assertThat(problems(Map.of("proxy.idempotency.retention", "36500d"))).isEmpty();
    }

    /** Not a refusal, a warning: a migration cut off by the shutdown is reconciled, but its caller gets no answer. */
    @Test
    void aShutdownWaitShorterThanAMigrationIsNamed() {
        DomoConfig domo = ConfigMappings.config(Map.of("domo.migration-timeout", "120s"), DomoConfig.class)
                .getConfigMapping(DomoConfig.class);
        assertThat(MigrationStartupCheck.shutdownTooShort(Optional.of(Duration.ofSeconds(130)), domo)).isEmpty();
        // The pool's wait for a connection (5 s), before the call and after it.
        assertThat(MigrationStartupCheck.shutdownTooShort(Optional.of(Duration.ofSeconds(129)), domo)).hasValueSatisfying(
                warning -> assertThat(warning).startsWith("QUARKUS_SHUTDOWN_TIMEOUT (PT2M9S) is shorter than"
                        + " DOMO_MIGRATION_TIMEOUT plus 10 s (PT2M10S)"));
        assertThat(MigrationStartupCheck.shutdownTooShort(Optional.empty(), domo)).isPresent();
    }

    /** Not a refusal: tests reconcile at once on purpose; a grace that cannot cover an intent's lock wait is named. */
    @Test
    void aGraceShorterThanAnIntentsLockWaitIsNamed() {
        assertThat(MigrationStartupCheck.graceTooShort(reconciliation("5s"))).isEmpty();
        assertThat(MigrationStartupCheck.graceTooShort(reconciliation("4s"))).hasValueSatisfying(
                warning -> assertThat(warning).startsWith("PROXY_RECONCILIATION_PENDING_GRACE (PT4S) is shorter than 5 s"));
    }

    private static ReconciliationConfig reconciliation(String grace) {
        return ConfigMappings.config(Map.of("proxy.reconciliation.pending-grace", grace), ReconciliationConfig.class)
                .getConfigMapping(ReconciliationConfig.class);
    }

    private static List<String> problems(Map<String, String> values) {
        SmallRyeConfig config = ConfigMappings.config(values, RateLimitConfig.class, ReconciliationConfig.class,
                IdempotencyConfig.class, DomoConfig.class);
        return MigrationStartupCheck.problems(config.getConfigMapping(RateLimitConfig.class),
                config.getConfigMapping(ReconciliationConfig.class), config.getConfigMapping(IdempotencyConfig.class),
                config.getConfigMapping(DomoConfig.class));
    }
}
