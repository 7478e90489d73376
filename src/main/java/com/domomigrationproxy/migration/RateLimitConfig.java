package com.domomigrationproxy.migration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Per-caller limit on migrate and reverse. */
@ConfigMapping(prefix = "proxy.rate-limit")
public interface RateLimitConfig {

    /** Migrations plus reversals one caller may start per minute (per replica). Env PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE. */
    @WithDefault("60")
    int operationsPerMinute();

    /**
     * Migrations plus reversals of the API in flight at once on a replica, all callers together:
     * each holds a worker thread until Domo answers (up to DOMO_MIGRATION_TIMEOUT), and past this
     * many the next is answered 503 busy, nothing recorded, so that a Domo that hangs cannot take the
     * threads the reads, the audit API and the console need. Plans run on workers of their own
     * (PROXY_PLAN_REPLICA_CONCURRENCY). Env PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS.
     */
    @WithDefault("64")
    int concurrentOperations();
}
