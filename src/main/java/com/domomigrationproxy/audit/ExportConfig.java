package com.domomigrationproxy.audit;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Audit exports (CSV and NDJSON, from the API and the console): how many at once, how long one may stall. */
@ConfigMapping(prefix = "proxy.audit.export")
public interface ExportConfig {

    /**
     * Exports running at once on one replica, API and console together; another waits up to 10 s for
     * its turn, then is answered 503 busy. Env PROXY_AUDIT_EXPORT_AT_ONCE.
     */
    @WithDefault("4")
    int atOnce();

    /**
     * How long an export waits for its client to take the next bytes before it is ended (its
     * connection closed): a client that stops reading would otherwise hold a turn, a thread and a
     * database connection until the HTTP idle timeout. Env PROXY_AUDIT_EXPORT_WRITE_TIMEOUT.
     */
    @WithDefault("60s")
    Duration writeTimeout();
}
