package com.domomigrationproxy.ledger;

import java.util.List;
import java.util.stream.Collectors;

/**
 * An operation's fields as text, for an export that copies bytes instead of building
 * {@link Operation}s ({@link OperationStore#streamText}). Each reads as the Operation's value
 * prints: UUIDs and numbers as Java writes them, instants as {@link java.time.Instant#toString()},
 * scopes as their canonical JSON, and null wherever the Operation has no value. Every field is
 * selected as a text type, whose bytes are the same whether the driver reads it as text or as
 * binary.
 */
public enum OperationField {
    OPERATION_ID("o.operation_id::text", Kind.TEXT),
    DIRECTION("o.direction", Kind.TEXT),
    DATASOURCE_ID("o.datasource_id", Kind.TEXT),
    ACCOUNT_ID("o.account_id", Kind.TEXT),
    CATALOG("o.catalog_name", Kind.TEXT),
    SCHEMA("o.schema_name", Kind.TEXT),
    TABLE("o.table_name", Kind.TEXT),
    STATE("o.state", Kind.TEXT),
    TOE("o.toe", Kind.TEXT),
    START_TIME("o.start_time", Kind.TEXT),
    END_TIME("o.end_time", Kind.TEXT),
    ERROR_MESSAGE("o.error_message", Kind.TEXT),
    REQUESTED_BY("o.requested_by", Kind.TEXT),
    REQUESTED_AT("o.requested_at", Kind.INSTANT),
    COMPLETED_AT("o.completed_at", Kind.INSTANT),
    REQUEST_ID("o.request_id", Kind.TEXT),
    UPSTREAM_STATUS("o.upstream_status::text", Kind.NUMBER),
    AUTH_METHOD("o.auth_method", Kind.TEXT),
    CLIENT_ADDRESS("o.client_address", Kind.TEXT),
    DURATION_MS("o.duration_ms::text", Kind.NUMBER),
    PLAN_ID("o.plan_id::text", Kind.TEXT),
    SCOPES("o.scopes", Kind.SCOPES),
    // An Operation has a reconciliation when reconciled_at is set (a CHECK pairs it with
    // reconciled_state and reconciled_by; the note has no such check) and a review when
    // review_reason is (paired with review_flagged_at).
    RECONCILED_STATE("o.reconciled_state", Kind.TEXT),
    RECONCILED_AT("o.reconciled_at", Kind.INSTANT),
    RECONCILIATION_NOTE("CASE WHEN o.reconciled_at IS NOT NULL THEN o.reconciliation_note END", Kind.TEXT),
    RECONCILED_BY("o.reconciled_by", Kind.TEXT),
    REVIEW_REASON("o.review_reason", Kind.TEXT),
    REVIEW_FLAGGED_AT("o.review_flagged_at", Kind.INSTANT),
    // The links a row keeps of its events: each all set or all null (ck_operation_links).
    INTENT_SEQ("o.intent_seq::text", Kind.NUMBER),
    INTENT_PREV_HASH("o.intent_prev_hash", Kind.TEXT),
    INTENT_HASH("o.intent_hash", Kind.TEXT),
    OUTCOME_SEQ("o.outcome_seq::text", Kind.NUMBER),
    OUTCOME_PREV_HASH("o.outcome_prev_hash", Kind.TEXT),
    OUTCOME_HASH("o.outcome_hash", Kind.TEXT),
    RECONCILIATION_SEQ("o.reconciliation_seq::text", Kind.NUMBER),
    RECONCILIATION_PREV_HASH("o.reconciliation_prev_hash", Kind.TEXT),
    RECONCILIATION_HASH("o.reconciliation_hash", Kind.TEXT),
    REVIEW_SEQ("o.review_seq::text", Kind.NUMBER),
    REVIEW_PREV_HASH("o.review_prev_hash", Kind.TEXT),
    REVIEW_HASH("o.review_hash", Kind.TEXT);

    /** How a field's text is made from the database's. */
    enum Kind {
        /** The column's text as stored. */
        TEXT,
        /** A number's decimal text, as Java prints it. */
        NUMBER,
        /** A timestamp, selected as PostgreSQL prints it in UTC and rewritten as Instant prints it. */
        INSTANT,
        /** Stored scopes, rewritten as their canonical JSON (the text written behind the service's back may differ). */
        SCOPES
    }

    private final String sql;
    private final Kind kind;

    OperationField(String column, Kind kind) {
        this.kind = kind;
        // DateStyle is ISO on every connection (the JDBC driver insists on it), so this text has one shape.
        this.sql = kind == Kind.INSTANT ? "(" + column + " AT TIME ZONE 'UTC')::text" : column;
    }

    /** True for numbers, whose text needs no quoting. */
    public boolean number() {
        return kind == Kind.NUMBER;
    }

    Kind kind() {
        return kind;
    }

    /** The select list of these fields, in their order, from {@code operation o}. */
    static String select(List<OperationField> fields) {
        return fields.stream().map(field -> field.sql).collect(Collectors.joining(", ", "SELECT ", "\nFROM operation o\n"));
    }
}
