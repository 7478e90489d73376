package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Which operations to read: every criterion is optional, all given ones must match. {@code from}
 * is inclusive and {@code to} exclusive, both on requestedAt. {@code needsReview} selects the
 * operations flagged for a person and not yet resolved.
 */
public record OperationQuery(String datasourceId, String accountId, Direction direction, OperationState state,
        String requestedBy, Instant from, Instant to, UUID planId, boolean needsReview) {

    public static final OperationQuery ALL = new OperationQuery(null, null, null, null, null, null, null, null, false);

    public static OperationQuery ofPlan(UUID planId) {
        return new OperationQuery(null, null, null, null, null, null, null, planId, false);
    }

    /** The keyset position after an operation: newest first means (requestedAt, operationId) descending. */
    public record Position(Instant requestedAt, UUID operationId) {
    }

    /** SQL conditions on table alias {@code o}, with their parameters appended in order. */
    String where(List<Object> parameters) {
        List<String> conditions = new ArrayList<>();
        add(conditions, parameters, "datasource_key(o.datasource_id) = ?", datasourceId);
        add(conditions, parameters, "o.account_id = ?", accountId);
        add(conditions, parameters, "o.direction = ?", direction);
        add(conditions, parameters, "o.state = ?", state);
        add(conditions, parameters, "o.requested_by = ?", requestedBy);
        add(conditions, parameters, "o.requested_at >= ?", from);
        add(conditions, parameters, "o.requested_at < ?", to);
        add(conditions, parameters, "o.plan_id = ?", planId);
        if (needsReview) {
            // As Operation.awaitingReview: a flagged operation whose outcome came late has nothing to review.
            conditions.add("o.review_reason IS NOT NULL AND " + Operation.unresolvedSql("o"));
        }
        return conditions.isEmpty() ? "TRUE" : String.join(" AND ", conditions);
    }

    private static void add(List<String> conditions, List<Object> parameters, String condition, Object value) {
        if (value != null) {
            conditions.add(condition);
            parameters.add(value);
        }
    }
}
