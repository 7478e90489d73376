package com.domomigrationproxy.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.sql.DataSource;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * Reads of the audit trail. Plain JDBC rather than Hibernate: the export and the integrity check
 * stream millions of rows through a server-side cursor without a persistence context, and the
 * page query shares the same SQL and row mapping.
 */
@ApplicationScoped
public class AuditQueries {

    private static final int FETCH_SIZE = 1_000;
    private static final String SELECT = """
            SELECT o.*, i.seq AS intent_seq, i.prev_hash AS intent_prev_hash, i.hash AS intent_hash,
                   c.seq AS outcome_seq, c.prev_hash AS outcome_prev_hash, c.hash AS outcome_hash,
                   r.seq AS reconciliation_seq, r.prev_hash AS reconciliation_prev_hash, r.hash AS reconciliation_hash
            FROM operation o
            LEFT JOIN audit_event i ON i.operation_id = o.operation_id AND i.kind = 'INTENT'
            LEFT JOIN audit_event c ON c.operation_id = o.operation_id AND c.kind = 'OUTCOME'
            LEFT JOIN audit_event r ON r.operation_id = o.operation_id AND r.kind = 'RECONCILIATION'
            """;
    private static final String NEWEST_FIRST = " ORDER BY o.requested_at DESC, o.operation_id DESC";

    private final DataSource dataSource;

    @Inject
    AuditQueries(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public OperationPage page(OperationFilter filter, PageCursor after, int limit) {
        List<Object> parameters = new ArrayList<>();
        StringBuilder sql = new StringBuilder(SELECT).append(" WHERE ").append(filter.where(parameters));
        if (after != null) {
            sql.append(" AND (o.requested_at, o.operation_id) < (?, ?)");
            parameters.add(Timestamp.from(after.requestedAt()));
            parameters.add(after.operationId());
        }
        sql.append(NEWEST_FIRST).append(" LIMIT ?");
        parameters.add(limit + 1);
        List<Operation> items = new ArrayList<>();
        query(sql.toString(), parameters, false, items::add);
        if (items.size() <= limit) {
            return new OperationPage(items, null);
        }
        items.remove(limit);
        Operation last = items.get(limit - 1);
        return new OperationPage(items, new PageCursor(last.requestedAt(), last.operationId(), filter.digest()).encode());
    }

    /** Every matching Operation, newest first, handed over one at a time (constant memory). */
    public void export(OperationFilter filter, Consumer<Operation> sink) {
        List<Object> parameters = new ArrayList<>();
        String sql = SELECT + " WHERE " + filter.where(parameters) + NEWEST_FIRST;
        query(sql, parameters, true, sink);
    }

    public Optional<Operation> find(UUID operationId) {
        List<Operation> found = new ArrayList<>(1);
        query(SELECT + " WHERE o.operation_id = ?", List.of(operationId), false, found::add);
        return found.stream().findFirst();
    }

    /** Recomputes the whole chain, then looks for operations whose events are missing. */
    public IntegrityReport verify() {
        ChainVerifier verifier = new ChainVerifier();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try (PreparedStatement events = connection.prepareStatement("""
                    SELECT e.seq, e.kind, e.operation_id AS event_operation_id, e.prev_hash, e.hash, o.*
                    FROM audit_event e LEFT JOIN operation o ON o.operation_id = e.operation_id
                    ORDER BY e.seq""")) {
                events.setFetchSize(FETCH_SIZE);
                try (ResultSet rows = events.executeQuery()) {
                    while (rows.next()) {
                        Operation operation = rows.getObject("operation_id") == null ? null : operation(rows, false);
                        verifier.accept(rows.getLong("seq"), rows.getString("kind"),
                                rows.getObject("event_operation_id", UUID.class), rows.getString("prev_hash"),
                                rows.getString("hash"), operation);
                    }
                }
            }
            try (PreparedStatement missing = connection.prepareStatement("""
                    SELECT o.operation_id, o.state, o.reconciled_at IS NOT NULL AS reconciled,
                           EXISTS (SELECT 1 FROM audit_event e WHERE e.operation_id = o.operation_id AND e.kind = 'INTENT') AS has_intent,
                           EXISTS (SELECT 1 FROM audit_event e WHERE e.operation_id = o.operation_id AND e.kind = 'OUTCOME') AS has_outcome,
                           EXISTS (SELECT 1 FROM audit_event e WHERE e.operation_id = o.operation_id
                                   AND e.kind = 'RECONCILIATION') AS has_reconciliation
                    FROM operation o""")) {
                missing.setFetchSize(FETCH_SIZE);
                try (ResultSet rows = missing.executeQuery()) {
                    while (rows.next()) {
                        verifier.acceptOperation(rows.getObject("operation_id", UUID.class),
                                OperationState.valueOf(rows.getString("state")), rows.getBoolean("reconciled"),
                                rows.getBoolean("has_intent"), rows.getBoolean("has_outcome"),
                                rows.getBoolean("has_reconciliation"));
                    }
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw unavailable(e);
        }
        return verifier.report(Instant.now());
    }

    private void query(String sql, List<Object> parameters, boolean stream, Consumer<Operation> sink) {
        try (Connection connection = dataSource.getConnection()) {
            // A server-side cursor (fetch size) needs a transaction; read-only, never committed work.
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < parameters.size(); i++) {
                    statement.setObject(i + 1, parameters.get(i));
                }
                if (stream) {
                    statement.setFetchSize(FETCH_SIZE);
                }
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        sink.accept(operation(rows, true));
                    }
                }
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    static Operation operation(ResultSet row, boolean withChain) throws SQLException {
        Operation.Chain chain = null;
        if (withChain && row.getObject("intent_seq") != null) {
            chain = new Operation.Chain(link(row, "intent"), link(row, "outcome"), link(row, "reconciliation"));
        }
        Instant reconciledAt = instant(row, "reconciled_at");
        Operation.Reconciliation reconciliation = reconciledAt == null ? null
                : new Operation.Reconciliation(OperationState.valueOf(row.getString("reconciled_state")), reconciledAt,
                        row.getString("reconciliation_note"));
        return new Operation(row.getObject("operation_id", UUID.class), Direction.valueOf(row.getString("direction")),
                row.getString("datasource_id"), row.getString("account_id"), row.getString("catalog_name"),
                row.getString("schema_name"), row.getString("table_name"), OperationState.valueOf(row.getString("state")),
                row.getString("toe"), row.getString("start_time"), row.getString("end_time"),
                row.getString("error_message"), row.getString("requested_by"), instant(row, "requested_at"),
                instant(row, "completed_at"), row.getString("request_id"), (Integer) row.getObject("upstream_status"),
                row.getString("auth_method"), row.getString("client_address"), (Long) row.getObject("duration_ms"),
                reconciliation, chain);
    }

    private static Operation.Link link(ResultSet row, String kind) throws SQLException {
        return row.getObject(kind + "_seq") == null ? null
                : new Operation.Link(row.getLong(kind + "_seq"), row.getString(kind + "_prev_hash"),
                        row.getString(kind + "_hash"));
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp timestamp = row.getTimestamp(column);
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static ProblemException unavailable(SQLException e) {
        return new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later", e);
    }
}
