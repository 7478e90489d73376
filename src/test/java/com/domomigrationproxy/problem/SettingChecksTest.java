package com.domomigrationproxy.problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.domo.DomoConfig;
import com.domomigrationproxy.idempotency.IdempotencyConfig;
import com.domomigrationproxy.ledger.LedgerConfig;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * Settings the service took at start and then failed every call with (a 500 for a Domo deadline of
 * 0, a 429 for a rate of 0, a 500 for each checkpoint of a two-line origin) stop the start instead,
 * each named with the value it cannot take; the defaults pass.
 */
class SettingChecksTest {

    private static final Map<String, String> DEFAULTS = Map.of("quarkus.application.name", "domo-migration-proxy");

    @Test
    void theDefaultsPass() throws Exception {
        assertThat(domo(Map.of())).isEmpty();
        assertThat(ledger(Map.of())).isEmpty();
        assertThat(migration(Map.of())).isEmpty();
    }

    @Test
    void domoSettingsNoCallCanWorkWithAreRefusedByName() throws Exception {
        assertThat(domo(Map.of("domo.read-timeout", "0s", "domo.migration-timeout", "-1s", "domo.connect-timeout", "0s",
                "domo.max-response-size", "0", "domo.retry.max-attempts", "0", "domo.retry.initial-backoff", "-200ms",
                "domo.circuit-breaker.failure-threshold", "0", "domo.circuit-breaker.open-duration", "-30s")))
                .containsExactly("DOMO_READ_TIMEOUT must be longer than 0, not PT0S",
                        "DOMO_MIGRATION_TIMEOUT must be longer than 0, not PT-1S",
                        "DOMO_CONNECT_TIMEOUT must be longer than 0, not PT0S",
                        "DOMO_MAX_RESPONSE_SIZE must be at least 1, not 0",
                        "DOMO_RETRY_MAX_ATTEMPTS must be at least 1, not 0 (1 is no retry)",
                        "DOMO_RETRY_INITIAL_BACKOFF must not be negative, not PT-0.2S",
                        "DOMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD must be at least 1, not 0",
                        "DOMO_CIRCUIT_BREAKER_OPEN_DURATION must be longer than 0, not PT-30S");
    }

    @Test
    void auditSettingsThatCannotServeAreRefusedByName() throws Exception {
        assertThat(ledger(Map.of("proxy.audit.origin", "acme\nseq 99999", "proxy.audit.outcome-retry-for", "-1m",
                "proxy.audit.outcome-backlog-size", "0", "proxy.audit.refused-recorded", "-1"))).containsExactly(
                        "PROXY_AUDIT_OUTCOME_RETRY_FOR must not be negative, not PT-1M",
                        "PROXY_AUDIT_OUTCOME_BACKLOG_SIZE must be at least 1, not 0",
                        "PROXY_AUDIT_REFUSED_RECORDED must be at least 0, not -1",
                        "PROXY_AUDIT_ORIGIN must be one line of text, the first line of every checkpoint");
    }

    @Test
    void migrationSettingsThatSwitchThemOffInSilenceAreRefusedByName() throws Exception {
        assertThat(migration(Map.of("proxy.rate-limit.operations-per-minute", "0",
                "proxy.reconciliation.pending-grace", "-60s", "proxy.reconciliation.clock-skew", "-60s",
                "proxy.idempotency.retention", "-1h"))).containsExactly(
                        "PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE must be at least 1, not 0",
                        "PROXY_RECONCILIATION_PENDING_GRACE must not be negative, not PT-1M",
                        "PROXY_RECONCILIATION_CLOCK_SKEW must not be negative, not PT-1M",
                        "PROXY_IDEMPOTENCY_RETENTION must be longer than 0, not PT-1H");
    }

    private static List<String> domo(Map<String, String> values) throws Exception {
        return check("com.domomigrationproxy.domo.DomoStartupCheck", "settingProblems",
                config(values, DomoConfig.class).getConfigMapping(DomoConfig.class));
    }

    private static List<String> ledger(Map<String, String> values) throws Exception {
        return check("com.domomigrationproxy.ledger.LedgerStartupCheck", "problems",
                config(values, LedgerConfig.class).getConfigMapping(LedgerConfig.class));
    }

    private static List<String> migration(Map<String, String> values) throws Exception {
        Class<?> rateLimit = Class.forName("com.domomigrationproxy.migration.RateLimitConfig");
        Class<?> reconciliation = Class.forName("com.domomigrationproxy.migration.ReconciliationConfig");
        SmallRyeConfig config = config(values, rateLimit, reconciliation, IdempotencyConfig.class);
        return check("com.domomigrationproxy.migration.MigrationStartupCheck", "problems",
                config.getConfigMapping(rateLimit), config.getConfigMapping(reconciliation),
                config.getConfigMapping(IdempotencyConfig.class));
    }

    /** The checks are package-private, each beside its settings: called by name from here. */
    @SuppressWarnings("unchecked")
    private static List<String> check(String className, String methodName, Object... configs) throws Exception {
        for (Method method : Class.forName(className).getDeclaredMethods()) {
            if (method.getName().equals(methodName) && method.getParameterCount() == configs.length) {
                method.setAccessible(true);
                return (List<String>) method.invoke(null, configs);
            }
        }
        throw new AssertionError(className + "." + methodName);
    }

    private static SmallRyeConfig config(Map<String, String> values, Class<?>... mappings) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 100, new DurationConverter())
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(values, "test", 300),
                        new PropertiesConfigSource(DEFAULTS, "defaults", 100));
        for (Class<?> mapping : mappings) {
            builder.withMapping(mapping);
        }
        return builder.build();
    }
}
