package com.domomigrationproxy.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;

import com.domomigrationproxy.devdb.EmbeddedPostgresConfigSource;

/** Statements run as the embedded PostgreSQL's superuser, to break and mend the service's database. */
public final class PostgresAdmin {

    public static final String DATABASE = "domo_migration_proxy";

    private PostgresAdmin() {
    }

    /** Ends every session of the service's database, so that its pool must connect anew. */
    public static final String DROP_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
            + DATABASE + "'";

    /**
     * What a superuser can do to the service's database: switch the triggers off for the session
     * ({@code session_replication_role = replica}) and change audit rows directly.
     */
    public static void tamper(String... statements) {
        inServiceDatabase(true, statements);
    }

    /** Statements run as the superuser in the service's database, with the triggers in force. */
    public static void asSuperuser(String... statements) {
        inServiceDatabase(false, statements);
    }

    /**
     * The service's database as the superuser, a new connection each time and none from the
     * service's pool: for reads that must not meet a connection an outage ended.
     */
    public static DataSource ownConnections() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(System.getProperty("quarkus.datasource.jdbc.url"));
        dataSource.setUser("postgres");
        return dataSource;
    }

    private static void inServiceDatabase(boolean triggersOff, String... statements) {
        try (Connection connection = ownConnections().getConnection(); Statement statement = connection.createStatement()) {
            if (triggersOff) {
                statement.execute("SET session_replication_role = replica");
            }
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Statements on the maintenance database (ALTER DATABASE, ending sessions). */
    public static void run(String... statements) {
        execute(System.getProperty(EmbeddedPostgresConfigSource.ADMIN_URL), statements);
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
