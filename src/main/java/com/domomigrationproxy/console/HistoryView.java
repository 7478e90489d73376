package com.domomigrationproxy.console;

import java.util.List;
import java.util.Set;

import com.domomigrationproxy.audit.OperationFilter;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.problem.Problem;

/** What the history page shows: the filter form as submitted, its errors, one page of operations and the links. */
public record HistoryView(HistoryFilter filter, List<Problem.FieldError> errors, List<Operation> items,
        String nextCursor, boolean paged) {

    /** The fields the filter form shows an error beside. */
    private static final Set<String> FORM_FIELDS = Set.of("datasourceId", "accountId", "direction",
            "state", "requestedBy", "from", "to", "planId", "limit");

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

    /** The errors the form marks beside a field of its own. */
    public boolean marked() {
        return errors.stream().anyMatch(error -> FORM_FIELDS.contains(error.field()));
    }

    /**
     * The errors of what the form has no field to mark (a cursor from another filter, a needsReview
     * that is not true or false): said in words, or "correct the filters marked above" pointed at
     * nothing.
     */
    public List<Problem.FieldError> unmarked() {
        return errors.stream().filter(error -> !FORM_FIELDS.contains(error.field())).toList();
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
