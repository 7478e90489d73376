package com.domomigrationproxy.ledger;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The audit store's own settings. */
@ConfigMapping(prefix = "proxy.audit")
public interface LedgerConfig {

    /**
     * How often outcomes that the database could not take (Domo had answered) are written again.
     * Env PROXY_AUDIT_OUTCOME_RETRY_INTERVAL; {@code off} disables the retries.
     */
    @WithDefault("5s")
    String outcomeRetryInterval();

    /** How long such an outcome is retried before reconciliation is left to resolve it. Env PROXY_AUDIT_OUTCOME_RETRY_FOR. */
    @WithDefault("15m")
    Duration outcomeRetryFor();

    /** At most this many outcomes wait for the database at once; beyond, the oldest is left to reconciliation. */
    @WithDefault("10000")
    int outcomeBacklogSize();
}
