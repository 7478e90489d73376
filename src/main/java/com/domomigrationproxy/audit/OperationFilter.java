package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.DatasourceIds;

/**
 * The auditors' query parameters, validated: every value is checked before it reaches SQL, and
 * every problem is reported at once. Instants must lie in the years 0001 to 9999. The audit API and
 * the console's history page read the same filters through here.
 */
public final class OperationFilter {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    private OperationFilter() {
    }

    public static OperationQuery parse(String datasourceId, String accountId, String direction, String state,
            String requestedBy, String from, String to, String planId, String needsReview,
            List<Problem.FieldError> errors) {
        // Compared by its key (DatasourceIds.canonical; datasource_key in SQL): a UUID in either letter case.
        OperationQuery query = new OperationQuery(DatasourceIds.canonical(identifier("datasourceId", datasourceId, errors)),
                identifier("accountId", accountId, errors),
                QueryParameters.constant("direction", direction, Direction.class, errors),
                QueryParameters.constant("state", state, OperationState.class, errors),
                QueryParameters.principal("requestedBy", requestedBy, errors),
                instant("from", from, errors),
                instant("to", to, errors),
                uuid("planId", planId, errors),
                flag("needsReview", needsReview, errors));
        if (query.from() != null && query.to() != null && query.from().isAfter(query.to())) {
            errors.add(new Problem.FieldError("from", "must not be after to"));
        }
        return query;
    }

    public static int limit(String limit, List<Problem.FieldError> errors) {
        return QueryParameters.limit(limit, DEFAULT_LIMIT, MAX_LIMIT, errors);
    }

    /** Binds a cursor to the filters it was issued for. */
    static String digest(Object query) {
        return Sha256.hex(query.toString()).substring(0, 16);
    }

    private static String identifier(String name, String value, List<Problem.FieldError> errors) {
        if (value != null && !Identifiers.valid(value)) {
            errors.add(new Problem.FieldError(name, Identifiers.RULE));
            return null;
        }
        return value;
    }

    private static UUID uuid(String name, String value, List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        try {
            return Identifiers.uuid(name, value);
        } catch (ProblemException e) {
            errors.add(new Problem.FieldError(name, "must be a UUID"));
            return null;
        }
    }

    private static boolean flag(String name, String value, List<Problem.FieldError> errors) {
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        errors.add(new Problem.FieldError(name, "must be true or false"));
        return false;
    }

    private static Instant instant(String name, String value, List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        Instant parsed = QueryParameters.storableBound(value);
        if (parsed != null) {
            return parsed;
        }
        errors.add(new Problem.FieldError(name,
                "must be an ISO-8601 instant from year 0001 to 9999, such as 2026-11-28T10:15:30Z"));
        return null;
    }
}
