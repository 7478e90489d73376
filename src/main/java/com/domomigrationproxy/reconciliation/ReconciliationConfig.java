package com.domomigrationproxy.reconciliation;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Resolving operations whose outcome is unknown. */
@ConfigMapping(prefix = "proxy.reconciliation")
public interface ReconciliationConfig {

    /** How often unresolved operations are looked for (also once shortly after start); 0 turns it off. Env PROXY_RECONCILIATION_INTERVAL. */
    @WithDefault("60s")
    Duration interval();

    /** A PENDING operation older than the migration deadline plus this is taken as abandoned by a dead process. */
    @WithDefault("60s")
    Duration pendingGrace();
}
