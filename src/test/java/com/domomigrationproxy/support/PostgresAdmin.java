package com.domomigrationproxy.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource;

/** Statements run as the embedded PostgreSQL's superuser, to break and mend the service's database. */
public final class PostgresAdmin {

    public static final String DATABASE = "domo_migration_proxy";

    private PostgresAdmin() {
    }

    /** Ends every session of the service's database, so that its pool must connect anew. */
    public static final String DROP_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
            + DATABASE + "'";

    /** Statements on the maintenance database (ALTER DATABASE, ending sessions). */
    public static void run(String... statements) {
        execute(System.getProperty(EmbeddedPostgresConfigSource.ADMIN_URL), statements);
    }

    /** Statements on the service's database, as its superuser (triggers, tampering). */
    public static void inServiceDatabase(String... statements) {
        execute(System.getProperty("quarkus.datasource.jdbc.url"), statements);
    }

    private static void execute(String url, String... statements) {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
