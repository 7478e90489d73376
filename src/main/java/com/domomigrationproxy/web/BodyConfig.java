package com.domomigrationproxy.web;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** API request bodies other than plan uploads (whose limits are the plans' settings). */
@ConfigMapping(prefix = "proxy.body")
public interface BodyConfig {

    /**
     * How long a body may take to arrive once its headers have; a slower one, also one that arrives
     * a byte at a time, loses its connection unanswered (over HTTP/2, its stream). At least 1 s and
     * shorter than quarkus.http.read-timeout, or the start is refused. Env PROXY_BODY_DEADLINE.
     */
    @WithDefault("10s")
    Duration deadline();
}
