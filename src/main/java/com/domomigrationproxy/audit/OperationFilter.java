package com.domomigrationproxy.audit;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.domomigrationproxy.domo.Identifiers;
import com.domomigrationproxy.hashing.Sha256;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

/**
 * The auditors' filters, validated: every value is checked before it reaches SQL, and every
 * problem is reported at once. {@code from} is inclusive, {@code to} exclusive, both on requestedAt.
 */
record OperationFilter(String datasourceId, String accountId, Direction direction, OperationState state,
        String requestedBy, Instant from, Instant to) {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    static OperationFilter parse(String datasourceId, String accountId, String direction, String state,
            String requestedBy, String from, String to, List<Problem.FieldError> errors) {
        OperationFilter filter = new OperationFilter(identifier("datasourceId", datasourceId, errors),
                identifier("accountId", accountId, errors),
                constant("direction", direction, Direction.class, errors),
                constant("state", state, OperationState.class, errors),
                principal(requestedBy, errors),
                instant("from", from, errors),
                instant("to", to, errors));
        if (filter.from != null && filter.to != null && filter.from.isAfter(filter.to)) {
            errors.add(new Problem.FieldError("from", "must not be after to"));
        }
        return filter;
    }

    static int limit(String limit, List<Problem.FieldError> errors) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(new Problem.FieldError("limit", "must be an integer from 1 to " + MAX_LIMIT));
        return DEFAULT_LIMIT;
    }

    static void failOn(List<Problem.FieldError> errors) {
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("Invalid query parameters", errors);
        }
    }

    /** SQL conditions on table alias {@code o}, with their parameters appended in order. */
    String where(List<Object> parameters) {
        List<String> conditions = new ArrayList<>();
        add(conditions, parameters, "o.datasource_id = ?", datasourceId);
        add(conditions, parameters, "o.account_id = ?", accountId);
        add(conditions, parameters, "o.direction = ?", direction == null ? null : direction.name());
        add(conditions, parameters, "o.state = ?", state == null ? null : state.name());
        add(conditions, parameters, "o.requested_by = ?", requestedBy);
        add(conditions, parameters, "o.requested_at >= ?", from == null ? null : java.sql.Timestamp.from(from));
        add(conditions, parameters, "o.requested_at < ?", to == null ? null : java.sql.Timestamp.from(to));
        return conditions.isEmpty() ? "TRUE" : String.join(" AND ", conditions);
    }

    /** Binds a cursor to the filters it was issued for. */
    String digest() {
        return Sha256.hex(toString()).substring(0, 16);
    }

    private static void add(List<String> conditions, List<Object> parameters, String condition, Object value) {
        if (value != null) {
            conditions.add(condition);
            parameters.add(value);
        }
    }

    private static String identifier(String name, String value, List<Problem.FieldError> errors) {
        if (value != null && !Identifiers.valid(value)) {
            errors.add(new Problem.FieldError(name, Identifiers.RULE));
            return null;
        }
        return value;
    }

    private static String principal(String value, List<Problem.FieldError> errors) {
        if (value != null && (value.isEmpty() || value.length() > 255 || value.codePoints().anyMatch(Character::isISOControl))) {
            errors.add(new Problem.FieldError("requestedBy", "must be 1 to 255 characters without control characters"));
            return null;
        }
        return value;
    }

    private static <E extends Enum<E>> E constant(String name, String value, Class<E> type, List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                allowed.add(constant.name());
            }
            errors.add(new Problem.FieldError(name, "must be one of " + String.join(", ", allowed)));
            return null;
        }
    }

    private static Instant instant(String name, String value, List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            errors.add(new Problem.FieldError(name, "must be an ISO-8601 instant such as 2026-11-28T10:15:30Z"));
            return null;
        }
    }
}
