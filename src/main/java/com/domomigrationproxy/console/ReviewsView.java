package com.domomigrationproxy.console;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.migration.Resolution;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;

/**
 * The review queue ({@code scoped}: only the operations the viewer's scopes let it resolve), and
 * what became of the last resolution submitted from it. {@code resolvable}: the listed operations the
 * viewer may resolve, when its scopes allow fewer than it sees (an auditor who operates under scopes);
 * null when it may resolve every one listed.
 */
public record ReviewsView(List<Operation> items, boolean more, boolean scoped, Submission submission,
        Set<UUID> resolvable) {

    /** Whether the viewer's scopes let it resolve this operation (the form is shown only then). */
    public boolean resolvable(Operation operation) {
        return resolvable == null || resolvable.contains(operation.operationId());
    }

    /**
     * The last submission: resolved (an operation id), or refused with the form as it was sent and
     * why (field errors of a 400, or the detail of a 409), or nothing.
     */
    public record Submission(UUID resolved, UUID refused, String state, String note, String detail,
            List<Problem.FieldError> errors) {

        static Submission resolved(UUID operationId) {
            return new Submission(operationId, null, null, null, null, List.of());
        }

        static Submission refused(UUID operationId, String state, String note, ProblemException problem) {
            return new Submission(null, operationId, state, note, problem.detail(),
                    problem.extensions().errors() == null ? List.of() : problem.extensions().errors());
        }
    }

    public int maxNote() {
        return Resolution.MAX_NOTE;
    }

    /**
     * Whether the last submission was refused for an operation no longer listed (resolved already,
     * by someone else or by a double submit): its refusal is said above the list, not beside it.
     */
    public boolean refusedUnlisted() {
        return submission.refused() != null && items.stream().noneMatch(this::refusedFor);
    }

    /** Whether the last refused submission was about this operation. */
    public boolean refusedFor(Operation operation) {
        return operation.operationId().equals(submission.refused());
    }

    /** The note to show in this operation's form: what was sent when it was refused, otherwise empty. */
    public String noteFor(Operation operation) {
        return refusedFor(operation) && submission.note() != null ? submission.note() : "";
    }

    public boolean checked(Operation operation, String state) {
        return refusedFor(operation) && state.equals(submission.state());
    }

    /** The error of a field of this operation's form, or null. */
    public String error(Operation operation, String field) {
        if (!refusedFor(operation)) {
            return null;
        }
        return submission.errors().stream().filter(error -> error.field().equals(field))
                .map(Problem.FieldError::message).findFirst().orElse(null);
    }

    public String operationHref(Operation operation) {
        return ConsoleLinks.operation(operation.operationId());
    }
}
