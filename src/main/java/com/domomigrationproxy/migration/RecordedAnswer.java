package com.domomigrationproxy.migration;

import java.util.Optional;

import com.domomigrationproxy.domo.DomoCallException;
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

    /**
     * FAILED without reaching Domo (no token, connection refused, the breaker open: no status), refused
     * by Domo's rate limit, by Domo refusing the service's own token (401, 403), or turned away by a
     * redirect (an allow-list's page): Domo did nothing, and once Retry-After passed or an operator
     * mended the token or the allow-list, the same request gets another answer. So it may simply run
     * again. Not Domo's other 4xx, about the request itself: a retry would be answered the same.
     */
    static boolean domoDidNothing(Operation operation) {
        Outcome outcome = operation.outcome();
        return outcome != null && outcome.state() == OperationState.FAILED && turnedAway(outcome.upstreamStatus());
    }

    /**
     * The statuses of {@link #domoDidNothing} for a FAILED operation: none (nothing sent), a 3xx,
     * 401, 403 or 429. (An exception without a status may have been cut off at Domo: a caller asks
     * whether it reached Domo first.)
     */
    static boolean turnedAway(Integer upstreamStatus) {
        return upstreamStatus == null || upstreamStatus >= 300 && upstreamStatus < 400 || upstreamStatus == 401
                || upstreamStatus == 403 || upstreamStatus == 429;
    }

    /** Empty when Domo answered with a result (a 200, the Operation); otherwise the problem. */
    static Optional<ProblemException> problem(Operation operation) {
        Outcome outcome = operation.outcome();
        OperationState state = outcome == null ? OperationState.PENDING : outcome.state();
        ProblemException problem = switch (state) {
            case COMPLETE, INCOMPLETE, ABORTED -> null;
            // A gateway's 502, 504 or like status in front of Domo, or Domo's own answer without a result it could
            // be sure of (a state it does not name, an answer cut off): 502 then, and again now.
            case PENDING, UNKNOWN -> outcome != null && outcome.upstreamStatus() != null
                    ? new ProblemException(502, ProblemType.DOMO_UNAVAILABLE, "The first request with this"
                            + " Idempotency-Key got " + (DomoCallException.fromAGatewayWithoutDomosAnswer(
                                    outcome.upstreamStatus()) ? "Domo's gateway's " + outcome.upstreamStatus()
                                    : "an answer " + outcome.upstreamStatus() + " from Domo without a result it could be"
                                            + " sure of") + "; " + sinceThen(operation))
                    : new ProblemException(504, ProblemType.DOMO_TIMEOUT, "The first request with this Idempotency-Key"
                            + " ended without an answer from Domo on record; " + sinceThen(operation));
            case FAILED -> failed(outcome);
        };
        return Optional.ofNullable(problem).map(found -> found.withOperationId(operation.operationId()));
    }

    /** What is known now of an operation that got no answer: its reconciliation, once it has one. */
    private static String sinceThen(Operation operation) {
        if (operation.reconciliation() == null) {
            return "whether the operation took effect is unknown until it is reconciled";
        }
        return "it has since been reconciled: it " + (operation.reconciliation().state() == OperationState.COMPLETE
                ? "took effect" : "did not take effect") + " (the operation's reconciliation says how that was established)";
    }

    /** Domo's refusal as it was answered: its own 4xx, 502 for its other statuses and unreadable answers. */
    private static ProblemException failed(Outcome outcome) {
        Integer status = outcome.upstreamStatus();
        String detail = outcome.errorMessage() != null ? outcome.errorMessage() : "Domo gave no usable answer";
        ProblemException problem;
        if (status != null && (status == 401 || status == 403)) {
            problem = new ProblemException(502, ProblemType.DOMO_REJECTED_CREDENTIALS, detail);
        } else if (status != null && status >= 400 && status < 500 && status != 429) {
            problem = new ProblemException(status, ProblemType.DOMO_REJECTED_REQUEST, detail);
        } else {
            problem = new ProblemException(502, ProblemType.DOMO_UNAVAILABLE, detail);
        }
        return problem.withDomoToe(outcome.toe());
    }
}
