package com.domomigrationproxy.observability;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How often the service checks that Domo still accepts its token (see {@link DomoTokenMonitor}). */
@ConfigMapping(prefix = "domo.health")
public interface DomoHealthConfig {

    /** Time between two checks ({@code GET /types}). Env DOMO_HEALTH_CHECK_INTERVAL. */
    @WithDefault("60s")
    Duration checkInterval();

    /** Time from start to the first check. Env DOMO_HEALTH_INITIAL_DELAY. */
    @WithDefault("5s")
    Duration initialDelay();
}
