package com.domomigrationproxy.migration;

import java.util.Optional;

import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * The answer a repeat gets when its first request recorded an operation but never stored its
 * answer (the process died, or the answer could not be stored): rebuilt from the audited
 * operation with the status the API gives that outcome, so that a 200 still means Domo answered
 * with a result.
 */
final class RecordedAnswer {

    private RecordedAnswer() {
    }

    /** Empty when Domo answered with a result (a 200, the Operation); otherwise the problem. */
    static Optional<ProblemException> problem(Operation operation) {
        Outcome outcome = operation.outcome();
        Integer status = outcome == null ? null : outcome.upstreamStatus();
        if (outcome == null || outcome.state() == OperationState.PENDING || outcome.state() == OperationState.UNKNOWN) {
            return Optional.of(new ProblemException(504, ProblemType.DOMO_TIMEOUT,
                    "The first request with this Idempotency-Key ended without an answer from Domo on record;"
                            + " whether the operation took effect is unknown until it is reconciled")
                    .withOperationId(operation.operationId()));
        }
        if (status != null && status >= 200 && status < 300) {
            return Optional.empty();
        }
        String detail = outcome.errorMessage() != null ? outcome.errorMessage() : "Domo gave no usable answer";
        ProblemException problem;
        if (status != null && (status == 401 || status == 403)) {
            problem = new ProblemException(502, ProblemType.DOMO_REJECTED_CREDENTIALS, detail);
        } else if (status != null && status == 429) {
            problem = new ProblemException(503, ProblemType.DOMO_RATE_LIMITED, detail);
        } else if (status != null && status >= 400 && status < 500) {
            problem = new ProblemException(status, ProblemType.DOMO_REJECTED_REQUEST, detail);
        } else {
            problem = new ProblemException(502, ProblemType.DOMO_UNAVAILABLE, detail);
        }
        return Optional.of(problem.withDomoToe(outcome.toe()).withOperationId(operation.operationId()));
    }
}
