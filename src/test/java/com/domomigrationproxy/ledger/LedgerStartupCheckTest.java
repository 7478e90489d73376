package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ConfigMappings;

/**
 * Audit settings that cannot serve stop the start, each named with the value it cannot take: a
 * two-line origin made every checkpoint a 500, a backlog of 0 lost every outcome it should keep.
 */
class LedgerStartupCheckTest {

    @Test
    void theDefaultsPass() {
        assertThat(LedgerStartupCheck.problems(ConfigMappings.of(LedgerConfig.class, Map.of()))).isEmpty();
    }

    @Test
    void auditSettingsThatCannotServeAreRefusedByName() {
        assertThat(LedgerStartupCheck.problems(ConfigMappings.of(LedgerConfig.class, Map.of(
                "proxy.audit.origin", "acme\nseq 99999", "proxy.audit.outcome-retry-for", "-1m",
                "proxy.audit.outcome-backlog-size", "0", "proxy.audit.refused-recorded", "-1",
                "proxy.audit.outcome-retry-interval", "off")))).containsExactly(
                        "PROXY_AUDIT_OUTCOME_RETRY_FOR must not be negative, not PT-1M",
                        "PROXY_AUDIT_OUTCOME_BACKLOG_SIZE must be at least 1, not 0",
                        "PROXY_AUDIT_REFUSED_RECORDED must be at least 0, not -1",
                        "PROXY_AUDIT_OUTCOME_RETRY_INTERVAL cannot be off: outcomes the database could not take would"
                                + " never be written, nor handed to reconciliation",
                        "PROXY_AUDIT_ORIGIN must be one line of text, the first line of every checkpoint");
    }

    @Test
    void aFormerOriginIsALineOfTextOtherThanTheOrigin() {
        assertThat(LedgerStartupCheck.problems(ConfigMappings.of(LedgerConfig.class, Map.of(
                "proxy.audit.origin", "proxy-now", "proxy.audit.former-origins", "proxy-now,proxy-\tthen"))))
                .containsExactly("PROXY_AUDIT_FORMER_ORIGINS names proxy-now, which is PROXY_AUDIT_ORIGIN itself",
                        "PROXY_AUDIT_FORMER_ORIGINS must list lines of text, each a former PROXY_AUDIT_ORIGIN, with no"
                                + " space around the commas");
        assertThat(LedgerStartupCheck.problems(ConfigMappings.of(LedgerConfig.class, Map.of(
                "proxy.audit.origin", "proxy-now", "proxy.audit.former-origins", "proxy-then, proxy-before"))))
                .containsExactly("PROXY_AUDIT_FORMER_ORIGINS must list lines of text, each a former PROXY_AUDIT_ORIGIN,"
                        + " with no space around the commas");
        assertThat(LedgerStartupCheck.problems(ConfigMappings.of(LedgerConfig.class, Map.of(
                "proxy.audit.origin", "proxy-now", "proxy.audit.former-origins", "proxy-then,proxy-before")))).isEmpty();
    }
}
