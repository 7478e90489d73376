package com.domomigrationproxy.devdb;

import java.util.List;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;

/**
 * Adds the embedded PostgreSQL's source only when no other source sets the JDBC URL (environment,
 * system property, {@code .env}, application.properties, in the active profile). Decided here, from
 * the other sources, because the datasource's username and password may be looked up before its URL:
 * a configured database whose password is unset (trust or {@code .pgpass} login) must not start an
 * embedded one whose coordinates, published as system properties, would then replace it.
 */
public class EmbeddedPostgresConfigSourceFactory implements ConfigSourceFactory {

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        // Outside dev and tests the URL is not even looked at here: production reads it as configured.
        if (!EmbeddedPostgresConfigSource.applies()) {
            return List.of();
        }
        ConfigValue url;
        try {
            url = context.getValue(EmbeddedPostgresConfigSource.URL);
        } catch (RuntimeException e) {
            // An expression that a later source resolves: configured all the same.
            return List.of();
        }
        boolean configured = url != null && url.getValue() != null && !url.getValue().isBlank();
        return configured ? List.of() : List.of(new EmbeddedPostgresConfigSource());
    }
}
