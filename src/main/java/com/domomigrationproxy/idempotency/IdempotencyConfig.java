package com.domomigrationproxy.idempotency;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Idempotency-Key retention, and when a key whose request never answered is taken over. */
@ConfigMapping(prefix = "proxy.idempotency")
public interface IdempotencyConfig {

    /** How long a key and its stored answer are kept. Env PROXY_IDEMPOTENCY_RETENTION. */
    @WithDefault("24h")
    Duration retention();

    /** How often expired keys are deleted, or {@code off}. Env PROXY_IDEMPOTENCY_PURGE_INTERVAL. */
    @WithDefault("10m")
    String purgeInterval();

    /**
     * How long past its request's deadline (a migration's, a plan upload's preflight's) a key with
     * no answer waits before its request counts as abandoned and a repeat runs: the time a replica
     * may take between its claim and its call, and to record the outcome after the deadline. Env
     * PROXY_IDEMPOTENCY_ABANDON_MARGIN.
     */
    @WithDefault("30s")
    Duration abandonMargin();

    /**
     * How long a claim for a request with this deadline holds its key: the deadline plus the
     * abandon margin. A claim with no answer after that belongs to a request that died.
     */
    default Duration abandonedAfter(Duration deadline) {
        return deadline.plus(abandonMargin());
    }
}
