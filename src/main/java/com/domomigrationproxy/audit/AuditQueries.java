package com.domomigrationproxy.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
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
                    Columns columns = new Columns(rows, false);
                    while (rows.next()) {
                        Operation operation = rows.getObject(columns.operationId) == null ? null : operation(rows, columns);
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
                    Columns columns = new Columns(rows, true);
                    while (rows.next()) {
                        sink.accept(operation(rows, columns));
                    }
                }
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Column positions, looked up once per result set: by name on every row, the driver's lookup
     * was a tenth of a million-row export.
     */
    private static final class Columns {
        final int operationId, direction, datasourceId, accountId, catalog, schema, table, state, toe, startTime,
                endTime, errorMessage, requestedBy, requestedAt, completedAt, requestId, upstreamStatus, authMethod,
                clientAddress, durationMs, reconciledState, reconciledAt, reconciliationNote;
        final int[] intent, outcome, reconciliation;

        Columns(ResultSet rows, boolean withChain) throws SQLException {
            operationId = rows.findColumn("operation_id");
            direction = rows.findColumn("direction");
            datasourceId = rows.findColumn("datasource_id");
            accountId = rows.findColumn("account_id");
            catalog = rows.findColumn("catalog_name");
            schema = rows.findColumn("schema_name");
            table = rows.findColumn("table_name");
            state = rows.findColumn("state");
            toe = rows.findColumn("toe");
            startTime = rows.findColumn("start_time");
            endTime = rows.findColumn("end_time");
            errorMessage = rows.findColumn("error_message");
            requestedBy = rows.findColumn("requested_by");
            requestedAt = rows.findColumn("requested_at");
            completedAt = rows.findColumn("completed_at");
            requestId = rows.findColumn("request_id");
            upstreamStatus = rows.findColumn("upstream_status");
            authMethod = rows.findColumn("auth_method");
            clientAddress = rows.findColumn("client_address");
            durationMs = rows.findColumn("duration_ms");
            reconciledState = rows.findColumn("reconciled_state");
            reconciledAt = rows.findColumn("reconciled_at");
            reconciliationNote = rows.findColumn("reconciliation_note");
            intent = withChain ? link(rows, "intent") : null;
            outcome = withChain ? link(rows, "outcome") : null;
            reconciliation = withChain ? link(rows, "reconciliation") : null;
        }

        private static int[] link(ResultSet rows, String kind) throws SQLException {
            return new int[] { rows.findColumn(kind + "_seq"), rows.findColumn(kind + "_prev_hash"),
                    rows.findColumn(kind + "_hash") };
        }
    }

    private static Operation operation(ResultSet row, Columns columns) throws SQLException {
        Operation.Chain chain = null;
        if (columns.intent != null && row.getObject(columns.intent[0]) != null) {
            chain = new Operation.Chain(link(row, columns.intent), link(row, columns.outcome),
                    link(row, columns.reconciliation));
        }
        Instant reconciledAt = instant(row, columns.reconciledAt);
        Operation.Reconciliation reconciliation = reconciledAt == null ? null
                : new Operation.Reconciliation(OperationState.valueOf(row.getString(columns.reconciledState)),
                        reconciledAt, row.getString(columns.reconciliationNote));
        return new Operation(row.getObject(columns.operationId, UUID.class),
                Direction.valueOf(row.getString(columns.direction)), row.getString(columns.datasourceId),
                row.getString(columns.accountId), row.getString(columns.catalog), row.getString(columns.schema),
                row.getString(columns.table), OperationState.valueOf(row.getString(columns.state)),
                row.getString(columns.toe), row.getString(columns.startTime), row.getString(columns.endTime),
                row.getString(columns.errorMessage), row.getString(columns.requestedBy),
                instant(row, columns.requestedAt), instant(row, columns.completedAt), row.getString(columns.requestId),
                (Integer) row.getObject(columns.upstreamStatus), row.getString(columns.authMethod),
                row.getString(columns.clientAddress), (Long) row.getObject(columns.durationMs), reconciliation, chain);
    }

    private static Operation.Link link(ResultSet row, int[] columns) throws SQLException {
        return row.getObject(columns[0]) == null ? null
                : new Operation.Link(row.getLong(columns[0]), row.getString(columns[1]), row.getString(columns[2]));
    }

    /** timestamptz as an Instant; OffsetDateTime is the driver's direct path (getTimestamp goes through Calendar). */
    private static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime timestamp = row.getObject(column, OffsetDateTime.class);
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static ProblemException unavailable(SQLException e) {
        return new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later", e);
    }
}
