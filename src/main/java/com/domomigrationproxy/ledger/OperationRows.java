package com.domomigrationproxy.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Scopes;

/**
 * The one mapping between the {@code operation} table and {@link Operation}: the columns every
 * query selects, and the row mapper. Column positions are resolved once per result set: by name
 * on every row, the driver's lookup was a tenth of a million-row export.
 */
final class OperationRows {

    /**
     * Every operation column, its chain links included (the row keeps a copy of each of its
     * events' links, written with the event; the verifier compares them): reading operations with
     * their links is one index range of {@code operation}, with no probe of {@code audit_event}.
     */
    static final String SELECT = "SELECT o.* FROM operation o\n";

    /**
     * A row's id and outcome columns alone, for reads that show nothing else of it: the row's other
     * columns include its caller's scopes, which have no size limit ({@link RowPage}).
     */
    static final String OUTCOMES = "SELECT o.operation_id, o.state, o.toe, o.start_time, o.end_time, o.error_message,"
            + " o.upstream_status, o.duration_ms, o.completed_at FROM operation o\n";

    /** A row's id and what a plan's item follows of it ({@link OperationStatus}). */
    static final String STATUSES = "SELECT o.operation_id, o.state, o.upstream_status, o.reconciled_state"
            + " FROM operation o\n";

    /**
     * {@link #SELECT} and, next to the row's copy, the links of the operation's events themselves
     * (columns {@code event_intent_seq}, …, one index range of {@code uq_audit_event_operation_kind}
     * per operation), for the verifier to compare; {@link #eventLinks} reads them. And whether the
     * grant the row names ({@code scopes_digest}, V24) is another than the text it holds, which the
     * INTENT event covers ({@link #GRANT_RENAMED}).
     */
    static final String SELECT_WITH_EVENT_LINKS = """
            SELECT o.*, l.*,
                   o.scopes_digest IS DISTINCT FROM sha256(convert_to(o.scopes, 'UTF8')) AS grant_renamed
            FROM operation o
            CROSS JOIN LATERAL (
                SELECT max(e.seq) FILTER (WHERE e.kind = 'INTENT') AS event_intent_seq,
                       max(e.prev_hash) FILTER (WHERE e.kind = 'INTENT') AS event_intent_prev_hash,
                       max(e.hash) FILTER (WHERE e.kind = 'INTENT') AS event_intent_hash,
                       max(e.seq) FILTER (WHERE e.kind = 'OUTCOME') AS event_outcome_seq,
                       max(e.prev_hash) FILTER (WHERE e.kind = 'OUTCOME') AS event_outcome_prev_hash,
                       max(e.hash) FILTER (WHERE e.kind = 'OUTCOME') AS event_outcome_hash,
                       max(e.seq) FILTER (WHERE e.kind = 'RECONCILIATION') AS event_reconciliation_seq,
                       max(e.prev_hash) FILTER (WHERE e.kind = 'RECONCILIATION') AS event_reconciliation_prev_hash,
                       max(e.hash) FILTER (WHERE e.kind = 'RECONCILIATION') AS event_reconciliation_hash,
                       max(e.seq) FILTER (WHERE e.kind = 'REVIEW') AS event_review_seq,
                       max(e.prev_hash) FILTER (WHERE e.kind = 'REVIEW') AS event_review_prev_hash,
                       max(e.hash) FILTER (WHERE e.kind = 'REVIEW') AS event_review_hash
                FROM audit_event e WHERE e.operation_id = o.operation_id) l""";

    /** The column of {@link #SELECT_WITH_EVENT_LINKS} that is true where a row's digest does not name its text. */
    static final String GRANT_RENAMED = "grant_renamed";

    /** Column positions of one result set, and the grant its last row held. */
    static final class Columns {
        final int operationId, direction, datasourceId, accountId, catalog, schema, table, requestedBy, requestedAt,
                requestId, authMethod, clientAddress, planId, scopes, state, toe, startTime, endTime, errorMessage,
                upstreamStatus, durationMs, completedAt, reconciledState, reconciledAt, reconciliationNote,
                reconciledBy, reviewReason, reviewFlaggedAt;
        final int[] intent, outcome, reconciliation, review;

        Columns(ResultSet rows) throws SQLException {
            operationId = rows.findColumn("operation_id");
            direction = rows.findColumn("direction");
            datasourceId = rows.findColumn("datasource_id");
            accountId = rows.findColumn("account_id");
            catalog = rows.findColumn("catalog_name");
            schema = rows.findColumn("schema_name");
            table = rows.findColumn("table_name");
            requestedBy = rows.findColumn("requested_by");
            requestedAt = rows.findColumn("requested_at");
            requestId = rows.findColumn("request_id");
            authMethod = rows.findColumn("auth_method");
            clientAddress = rows.findColumn("client_address");
            planId = rows.findColumn("plan_id");
            scopes = rows.findColumn("scopes");
            state = rows.findColumn("state");
            toe = rows.findColumn("toe");
            startTime = rows.findColumn("start_time");
            endTime = rows.findColumn("end_time");
            errorMessage = rows.findColumn("error_message");
            upstreamStatus = rows.findColumn("upstream_status");
            durationMs = rows.findColumn("duration_ms");
            completedAt = rows.findColumn("completed_at");
            reconciledState = rows.findColumn("reconciled_state");
            reconciledAt = rows.findColumn("reconciled_at");
            reconciliationNote = rows.findColumn("reconciliation_note");
            reconciledBy = rows.findColumn("reconciled_by");
            reviewReason = rows.findColumn("review_reason");
            reviewFlaggedAt = rows.findColumn("review_flagged_at");
            intent = link(rows, "intent");
            outcome = link(rows, "outcome");
            reconciliation = link(rows, "reconciliation");
            review = link(rows, "review");
        }

        /**
         * The grant of the row before, as stored and as read: rows one after another often repeat
         * one grant (a plan's items all run under their creator's; a caller's operations and their
         * events), and reading one of 1,348 data sources costs 0.45 ms, comparing its text a few µs.
         */
        private String lastScopesJson;
        private Scopes lastScopes;

        private static int[] link(ResultSet rows, String kind) throws SQLException {
            return new int[] { rows.findColumn(kind + "_seq"), rows.findColumn(kind + "_prev_hash"),
                    rows.findColumn(kind + "_hash") };
        }
    }

    private OperationRows() {
    }

    /**
     * A row whose stored values no Operation can hold (scopes that do not parse, a direction or state
     * the service never writes): only written behind the service's back. The integrity check names
     * it, rather than failing as a whole.
     */
    static final class UnreadableRow extends SQLException {

        private static final long serialVersionUID = 1L;
        final UUID operationId;

        UnreadableRow(UUID operationId, String reason, Throwable cause) {
            super((operationId == null ? "an operation " : "operation " + operationId + " ") + reason, cause);
            this.operationId = operationId;
        }
    }

    /**
     * What a read that reached such a row answers: the row's id and why, since retrying cannot help
     * (no Retry-After), and how to read around it. Any other failure is the store's.
     */
    static ProblemException readFailure(SQLException e) {
        if (e instanceof UnreadableRow row) {
            String what = row.getMessage();
            return new ProblemException(503, ProblemType.AUDIT_ROW_ALTERED, Character.toUpperCase(what.charAt(0))
                    + what.substring(1) + ": the row was altered behind the service's back, and this answer would include it."
                    + " GET /api/v1/audit/integrity names every such row; a narrower filter (from, to,"
                    + " datasourceId) reads the operations around it", e);
        }
        return new ProblemException(503, ProblemType.AUDIT_UNAVAILABLE, "The audit store cannot be read; retry later",
                e);
    }

    /** The outcome of an {@link #OUTCOMES} row. */
    static Outcome outcome(ResultSet row) throws SQLException {
        try {
            return outcome(row, 2, 3, 4, 5, 6, 7, 8, 9);
        } catch (IllegalArgumentException e) {
            throw neverWritten(row.getObject(1, UUID.class), e);
        }
    }

    /** The status of a {@link #STATUSES} row. */
    static OperationStatus status(ResultSet row) throws SQLException {
        try {
            String reconciled = row.getString(4);
            return new OperationStatus(OperationState.valueOf(row.getString(2)), (Integer) row.getObject(3),
                    reconciled == null ? null : OperationState.valueOf(reconciled));
        } catch (IllegalArgumentException e) {
            throw neverWritten(row.getObject(1, UUID.class), e);
        }
    }

    private static UnreadableRow neverWritten(UUID operationId, IllegalArgumentException e) {
        return new UnreadableRow(operationId, "holds a value the service never writes (" + e.getMessage() + ")", e);
    }

    private static Outcome outcome(ResultSet row, int state, int toe, int startTime, int endTime, int errorMessage,
            int upstreamStatus, int durationMs, int completedAt) throws SQLException {
        return new Outcome(OperationState.valueOf(row.getString(state)), row.getString(toe), row.getString(startTime),
                row.getString(endTime), row.getString(errorMessage), (Integer) row.getObject(upstreamStatus),
                (Long) row.getObject(durationMs), Sql.instant(row, completedAt));
    }

    static Operation map(ResultSet row, Columns columns) throws SQLException {
        try {
            return mapValid(row, columns);
        } catch (IllegalArgumentException e) {
            throw neverWritten(row.getObject(columns.operationId, UUID.class), e);
        }
    }

    private static Operation mapValid(ResultSet row, Columns columns) throws SQLException {
        OperationIntent intent = new OperationIntent(Direction.valueOf(row.getString(columns.direction)),
                row.getString(columns.datasourceId), row.getString(columns.accountId), row.getString(columns.catalog),
                row.getString(columns.schema), row.getString(columns.table), row.getString(columns.requestedBy),
                Sql.instant(row, columns.requestedAt), row.getString(columns.requestId),
                row.getString(columns.authMethod), row.getString(columns.clientAddress),
                row.getObject(columns.planId, UUID.class), scopes(row, columns));
        Outcome outcome = outcome(row, columns.state, columns.toe, columns.startTime, columns.endTime,
                columns.errorMessage, columns.upstreamStatus, columns.durationMs, columns.completedAt);
        var reconciledAt = Sql.instant(row, columns.reconciledAt);
        Operation.Reconciliation reconciliation = reconciledAt == null ? null
                : new Operation.Reconciliation(OperationState.valueOf(row.getString(columns.reconciledState)),
                        reconciledAt, row.getString(columns.reconciliationNote), row.getString(columns.reconciledBy));
        String reviewReason = row.getString(columns.reviewReason);
        Operation.Review review = reviewReason == null ? null
                : new Operation.Review(reviewReason, Sql.instant(row, columns.reviewFlaggedAt));
        Operation.Chain chain = chain(row, columns.intent, columns.outcome, columns.reconciliation, columns.review);
        return new Operation(row.getObject(columns.operationId, UUID.class), intent, outcome, reconciliation, review,
                chain);
    }

    /**
     * The stored grant; text that is no scopes object can only have been written behind the
     * service's back, and is reported as an unreadable row rather than shown as some grant.
     */
    private static Scopes scopes(ResultSet row, Columns columns) throws SQLException {
        String json = row.getString(columns.scopes);
        if (json == null) {
            return null;
        }
        if (json.equals(columns.lastScopesJson)) {
            return columns.lastScopes;
        }
        try {
            Scopes scopes = Scopes.fromJson(json);
            columns.lastScopesJson = json;
            columns.lastScopes = scopes;
            return scopes;
        } catch (IllegalArgumentException e) {
            throw new UnreadableRow(row.getObject(columns.operationId, UUID.class), "has scopes that do not parse", e);
        }
    }

    /**
     * The links of the operation's events in a row of {@link #SELECT_WITH_EVENT_LINKS}, as they are
     * in {@code audit_event}; null when it has none.
     */
    static Operation.Chain eventLinks(ResultSet row, int[][] columns) throws SQLException {
        return chain(row, columns[0], columns[1], columns[2], columns[3]);
    }

    /** The column positions {@link #eventLinks} reads. */
    static int[][] eventLinkColumns(ResultSet rows) throws SQLException {
        return new int[][] { Columns.link(rows, "event_intent"), Columns.link(rows, "event_outcome"),
                Columns.link(rows, "event_reconciliation"), Columns.link(rows, "event_review") };
    }

    /** Null when no link is set (an operation written before the chain, or behind the service's back). */
    private static Operation.Chain chain(ResultSet row, int[] intent, int[] outcome, int[] reconciliation, int[] review)
            throws SQLException {
        Operation.Chain chain = new Operation.Chain(link(row, intent), link(row, outcome), link(row, reconciliation),
                link(row, review));
        return chain.intent() == null && chain.outcome() == null && chain.reconciliation() == null
                && chain.review() == null ? null : chain;
    }

    private static Operation.Link link(ResultSet row, int[] columns) throws SQLException {
        return row.getObject(columns[0]) == null ? null
                : new Operation.Link(row.getLong(columns[0]), row.getString(columns[1]), row.getString(columns[2]));
    }
}
