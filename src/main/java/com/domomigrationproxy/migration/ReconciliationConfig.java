package com.domomigrationproxy.migration;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Resolving operations whose outcome is unknown. */
@ConfigMapping(prefix = "proxy.reconciliation")
public interface ReconciliationConfig {

    /** How often unresolved operations are looked for, or {@code off}. Env PROXY_RECONCILIATION_INTERVAL. */
    @WithDefault("60s")
    String interval();

    /**
     * A PENDING operation older than the migration deadline plus this is taken as abandoned by a
     * dead process. Env PROXY_RECONCILIATION_PENDING_GRACE.
     */
    @WithDefault("60s")
    Duration pendingGrace();

    /**
     * How far Domo's clock may be from ours: a migrationDate earlier than the request by less than
     * this cannot tell whether the request caused it, nor, for a data source the trail shows migrated
     * before, one later by less than this. Env PROXY_RECONCILIATION_CLOCK_SKEW.
     */
    @WithDefault("60s")
    Duration clockSkew();
}
