package com.domomigrationproxy.console;

import java.util.List;

import com.domomigrationproxy.audit.OperationFilter;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.problem.Problem;

/** What the history page shows: the filter form as submitted, its errors, one page of operations and the links. */
public record HistoryView(HistoryFilter filter, List<Problem.FieldError> errors, List<Operation> items,
        String nextCursor, boolean paged) {

    public String value(String field) {
        return filter.value(field);
    }

    public boolean needsReview() {
        return "true".equals(filter.value("needsReview"));
    }

    /** The error of a field, or null. */
    public String error(String field) {
        return errors.stream().filter(error -> error.field().equals(field)).map(Problem.FieldError::message)
                .findFirst().orElse(null);
    }

    public List<Option> directions() {
        return Option.anyOr(Direction.class, filter.value("direction"));
    }

    public List<Option> states() {
        return Option.anyOr(OperationState.class, filter.value("state"));
    }

    public List<Option> limits() {
        String current = Integer.toString(filter.limit());
        return List.of("25", "50", "100", "200", Integer.toString(OperationFilter.MAX_LIMIT)).stream().distinct()
                .map(size -> new Option(size, size, size.equals(current))).toList();
    }

    public String nextHref() {
        return nextCursor == null ? null : ConsoleLinks.HISTORY + withLimit(new QueryString().withAll(filter.values()))
                .with("cursor", nextCursor).text();
    }

    public String firstHref() {
        return ConsoleLinks.HISTORY + withLimit(new QueryString().withAll(filter.values())).text();
    }

    public String csvHref() {
        return ConsoleLinks.HISTORY + "/export.csv" + filter.queryString();
    }

    public String ndjsonHref() {
        return ConsoleLinks.HISTORY + "/export.ndjson" + filter.queryString();
    }

    public String operationHref(Operation operation) {
        return ConsoleLinks.operation(operation.operationId());
    }

    private QueryString withLimit(QueryString query) {
        return filter.limit() == OperationFilter.DEFAULT_LIMIT ? query : query.with("limit", filter.limit());
    }
}
