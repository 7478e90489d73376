package com.domomigrationproxy.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * An upgrade of the schema, tried on a database of its own in the test PostgreSQL: migrated to an
 * earlier version, filled as that release wrote it, migrated on, then looked at; dropped afterwards.
 */
public final class SchemaUpgrade {

    /** Work on the upgraded database through one statement. */
    public interface Step {
        void run(Statement sql) throws SQLException;
    }

    private SchemaUpgrade() {
    }

    public static void from(String version, Step before, Step after) throws SQLException {
        String database = "upgrade_from_v" + version + "_" + System.nanoTime();
        PostgresAdmin.run("CREATE DATABASE " + database);
        try {
            String url = System.getProperty("quarkus.datasource.jdbc.url").replaceFirst("/[^/?]+\\?", "/" + database + "?");
            flyway(url).target(version).load().migrate();
            run(url, before);
            flyway(url).load().migrate();
            run(url, after);
        } finally {
            PostgresAdmin.run("DROP DATABASE " + database + " WITH (FORCE)");
        }
    }

    private static void run(String url, Step step) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
            step.run(sql);
        }
    }

    private static FluentConfiguration flyway(String url) {
        return Flyway.configure().dataSource(url, null, null).placeholders(Map.of("appRole", "(none)"));
    }
}
