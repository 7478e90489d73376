package com.domomigrationproxy.ledger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while PostgreSQL accepts writes: the service calls Domo only after the audit intent
 * is committed, so a database that answers reads but refuses writes (a standby after a failover, a
 * read-only transaction default) means every migration would fail with 503. Agroal's own check
 * only proves that a connection can be had.
 */
@Readiness
@ApplicationScoped
class DatabaseWritableHealthCheck implements HealthCheck {

    /** With the pool's wait for a connection (5 s), within the readiness probe's timeout (8 s in the Helm chart). */
    private static final int TIMEOUT_MILLIS = 2000;
    private static final String NAME = "database-writable";

    private final DataSource dataSource;

    @Inject
    DatabaseWritableHealthCheck(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public HealthCheckResponse call() {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            // The socket's own timeout, not a statement timeout: that one cancels through a second connection,
            // waits for it (10 s), and never ends a read that waits on a database gone silent (a host lost, a
            // partition). Each probe then held a connection for as long as the kernel retransmits (about 15
            // minutes), until the pool was theirs (observability review). The connection the timeout breaks
            // leaves the pool.
            int before = connection.getNetworkTimeout();
            connection.setNetworkTimeout(Runnable::run, TIMEOUT_MILLIS);
            try (ResultSet row = statement.executeQuery(
                    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'")) {
                row.next();
                boolean inRecovery = row.getBoolean(1);
                boolean readOnly = row.getBoolean(2);
                return HealthCheckResponse.named(NAME).status(!inRecovery && !readOnly)
                        .withData("inRecovery", inRecovery)
                        .withData("readOnly", readOnly)
                        .build();
            } finally {
                // The pool does not reset it: left on, the connection's next borrower (a wait for the chain's
                // head, an export) would be cut off after 2 s. A connection the timeout broke is closed.
                if (!connection.isClosed()) {
                    connection.setNetworkTimeout(Runnable::run, before);
                }
            }
        } catch (SQLException e) {
            // The SQL state says enough; messages can name hosts and users.
            return HealthCheckResponse.named(NAME).down()
                    .withData("error", e.getSQLState() == null ? e.getClass().getSimpleName() : "SQLState " + e.getSQLState())
                    .build();
        }
    }
}
