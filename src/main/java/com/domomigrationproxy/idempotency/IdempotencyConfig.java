package com.domomigrationproxy.idempotency;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Idempotency-Key retention. */
@ConfigMapping(prefix = "proxy.idempotency")
public interface IdempotencyConfig {

    /** How long a key and its stored answer are kept. Env PROXY_IDEMPOTENCY_RETENTION. */
    @WithDefault("24h")
    Duration retention();

    /** How often expired keys are deleted, or {@code off}. Env PROXY_IDEMPOTENCY_PURGE_INTERVAL. */
    @WithDefault("10m")
    String purgeInterval();
}
