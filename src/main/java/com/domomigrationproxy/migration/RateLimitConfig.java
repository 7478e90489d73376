package com.domomigrationproxy.migration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Per-caller limit on migrate and reverse. */
@ConfigMapping(prefix = "proxy.rate-limit")
public interface RateLimitConfig {

    /** Migrations plus reversals one caller may start per minute (per replica). Env PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE. */
    @WithDefault("60")
    int operationsPerMinute();
}
