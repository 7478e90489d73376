package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.SchemaUpgrade;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Upgrading a database written before operation rows kept their links (V10): each row gets its
 * events' links copied, the update guard is back in force afterwards, and rows that a replica of
 * the earlier release writes during a rolling upgrade get their links too. Runs on a database of
 * its own, migrated to V9, filled as the service of that version wrote it, then migrated on.
 */
@QuarkusTest
class OperationLinksMigrationTest {

    @Test
    void anExistingTrailGetsItsLinksCopiedOntoItsRows() throws SQLException {
        String done = UUID.randomUUID().toString();
        String pending = UUID.randomUUID().toString();
        SchemaUpgrade.from("9", sql -> {
            sql.execute("SET session_replication_role = replica"); // the head moves three links at once
            sql.execute("INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method,"
                    + " request_id, requested_at, state, completed_at) VALUES ('" + done + "', 'V2_TO_V1', 'ds-a', 'x',"
                    + " 'jwt', 'r', now(), 'COMPLETE', now()), ('" + pending + "', 'V2_TO_V1', 'ds-b', 'x', 'jwt', 'r',"
                    + " now(), 'PENDING', NULL)");
            sql.execute("INSERT INTO audit_event (seq, operation_id, kind, prev_hash, hash) VALUES"
                    + " (1, '" + done + "', 'INTENT', repeat('0', 64), repeat('1', 64)),"
                    + " (2, '" + done + "', 'OUTCOME', repeat('1', 64), repeat('2', 64)),"
                    + " (3, '" + pending + "', 'INTENT', repeat('2', 64), repeat('3', 64))");
            sql.execute("UPDATE audit_chain_head SET seq = 3, prev_hash = repeat('2', 64), hash = repeat('3', 64)");
        }, sql -> {
            assertThat(links(sql, done)).isEqualTo(new Operation.Chain(link(1, '0', '1'), link(2, '1', '2'), null, null));
            assertThat(links(sql, pending)).isEqualTo(new Operation.Chain(link(3, '2', '3'), null, null, null));
            assertThatThrownBy(() -> sql.execute("UPDATE operation SET intent_hash = repeat('9', 64) WHERE operation_id = '"
                    + done + "'")).hasMessageContaining("append-only");

            // A replica of the earlier release, still running during a rolling upgrade, writes as it
            // did (the row, then the head, then the event; no links): the rows get them anyway.
            String older = UUID.randomUUID().toString();
            sql.execute(EARLIER_RELEASE.formatted("""
                    INSERT INTO operation (operation_id, direction, datasource_id, requested_by, auth_method,
                        request_id, requested_at, state) VALUES ('%s', 'V2_TO_V1', 'ds-c', 'x', 'jwt', 'r', now(),
                        'PENDING')""".formatted(older), older, "INTENT"));
            sql.execute(EARLIER_RELEASE.formatted("UPDATE operation SET state = 'COMPLETE', completed_at = now()"
                    + " WHERE operation_id = '" + older + "' AND state = 'PENDING'", older, "OUTCOME"));
            assertThat(links(sql, older)).isEqualTo(new Operation.Chain(event(sql, older, "INTENT"),
                    event(sql, older, "OUTCOME"), null, null));
        });
    }

    /** How the release before V10 appended an operation's event after a change to its row. */
    private static final String EARLIER_RELEASE = """
            WITH changed AS (%s RETURNING operation_id),
            head AS (
                UPDATE audit_chain_head
                   SET seq = seq + 1, prev_hash = hash,
                       hash = encode(sha256(convert_to(hash || chr(10) || 'payload', 'UTF8')), 'hex')
                 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed)
             RETURNING seq, prev_hash, hash)
            INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
            SELECT seq, '%s', '%s', NULL, NULL, prev_hash, hash FROM head""";

    private static Operation.Link event(Statement sql, String operationId, String kind) throws SQLException {
        try (ResultSet row = sql.executeQuery("SELECT seq, prev_hash, hash FROM audit_event WHERE operation_id = '"
                + operationId + "' AND kind = '" + kind + "'")) {
            row.next();
            return new Operation.Link(row.getLong(1), row.getString(2), row.getString(3));
        }
    }

    private static Operation.Chain links(Statement sql, String operationId) throws SQLException {
        try (ResultSet row = sql.executeQuery("SELECT * FROM operation WHERE operation_id = '" + operationId + "'")) {
            row.next();
            return new Operation.Chain(link(row, "intent"), link(row, "outcome"), link(row, "reconciliation"),
                    link(row, "review"));
        }
    }

    private static Operation.Link link(ResultSet row, String kind) throws SQLException {
        return row.getObject(kind + "_seq") == null ? null
                : new Operation.Link(row.getLong(kind + "_seq"), row.getString(kind + "_prev_hash"),
                        row.getString(kind + "_hash"));
    }

    private static Operation.Link link(long seq, char previous, char hash) {
        return new Operation.Link(seq, String.valueOf(previous).repeat(64), String.valueOf(hash).repeat(64));
    }
}
