package com.domomigrationproxy.console;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.domomigrationproxy.audit.OperationFilter;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.problem.Problem;

/**
 * The history page's filter form, as the audit API reads it (OperationFilter): the same names, the
 * same rules. A form sends empty fields as empty strings, which mean "any" here; an instant may
 * also be given without zone ("2026-11-30T10:15"), read as UTC.
 */
public record HistoryFilter(Map<String, String> values, OperationQuery query, int limit, List<Problem.FieldError> errors) {

    static final List<String> FIELDS = List.of("datasourceId", "accountId", "direction", "state", "requestedBy",
            "from", "to", "planId", "needsReview");

    static HistoryFilter parse(String datasourceId, String accountId, String direction, String state,
            String requestedBy, String from, String to, String planId, String needsReview, String limit) {
        Map<String, String> values = new LinkedHashMap<>();
        put(values, "datasourceId", datasourceId);
        put(values, "accountId", accountId);
        put(values, "direction", direction);
        put(values, "state", state);
        put(values, "requestedBy", requestedBy);
        put(values, "from", instant(from));
        put(values, "to", instant(to));
        put(values, "planId", planId);
        put(values, "needsReview", "on".equals(needsReview) ? "true" : blankToNull(needsReview));
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationQuery query = OperationFilter.parse(values.get("datasourceId"), values.get("accountId"),
                values.get("direction"), values.get("state"), values.get("requestedBy"), values.get("from"),
                values.get("to"), values.get("planId"), values.get("needsReview"), errors);
        int pageSize = OperationFilter.limit(blankToNull(limit), errors);
        return new HistoryFilter(Map.copyOf(values), query, pageSize, List.copyOf(errors));
    }

    /** The value the form shows for a field. */
    public String value(String field) {
        return values.getOrDefault(field, "");
    }

    /** The query string that repeats these filters (no paging), for links and exports. */
    String queryString() {
        QueryString query = new QueryString();
        FIELDS.forEach(field -> query.with(field, values.get(field)));
        return query.text();
    }

    private static void put(Map<String, String> values, String name, String value) {
        String kept = blankToNull(value);
        if (kept != null) {
            values.put(name, kept);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** "2026-11-30T10:15" and "2026-11-30T10:15:30" become instants in UTC; anything else is left to the filter. */
    private static String instant(String value) {
        String text = blankToNull(value);
        if (text == null || text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$")) {
            return text;
        }
        try {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toString();
        } catch (DateTimeParseException e) {
            return text;
        }
    }
}
