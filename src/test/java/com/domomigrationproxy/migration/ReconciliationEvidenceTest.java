package com.domomigrationproxy.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationIntent;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.Outcome;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** What the trail says a datasource was before an operation, and how Domo's dates are read. */
class ReconciliationEvidenceTest {

    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    @Test
    void theStateBeforeFollowsWhatTookEffect() {
        Operation migrated = operation(Direction.V1_TO_V2, T0, OperationState.COMPLETE);
        Operation refused = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.ABORTED);
        Operation unknown = operation(Direction.V2_TO_V1, T0.plusSeconds(20), OperationState.UNKNOWN);
        Operation later = operation(Direction.V1_TO_V2, T0.plusSeconds(30), OperationState.UNKNOWN);

        assertThat(OperationReconciler.before(List.of(migrated), Map.of(), later).migrated()).contains(true);
        assertThat(OperationReconciler.before(List.of(migrated, refused), Map.of(), later).migrated()).contains(true);
        assertThat(OperationReconciler.before(List.of(migrated, refused, unknown), Map.of(), later).migrated()).isEmpty();
        assertThat(OperationReconciler.before(List.of(migrated, refused, unknown), Map.of(), later).earlierMayHaveActed()).isTrue();
        assertThat(OperationReconciler.before(List.of(), Map.of(), later).migrated()).isEmpty();
        assertThat(OperationReconciler.before(List.of(), Map.of(), later).earlierMayHaveActed()).isFalse();
        Operation reversedSince = operation(Direction.V2_TO_V1, T0.plusSeconds(25), OperationState.COMPLETE);
        assertThat(OperationReconciler.before(List.of(migrated, unknown, reversedSince), Map.of(), later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(false), false));
        assertThat(OperationReconciler.before(List.of(migrated, later), Map.of(), migrated).migrated()).isEmpty();
    }

    /**
     * "Before" is the history's order, that of the intents' records and so of the Domo calls, not
     * requestedAt: stamped before an intent waits for the audit store, it may come before that of an
     * operation recorded (and carried out) ahead of it.
     */
    @Test
    void whatCameBeforeFollowsTheOrderIntentsWereRecordedIn() {
        Operation migrated = operation(Direction.V1_TO_V2, T0, OperationState.COMPLETE, null, "a");
        Operation reversed = operation(Direction.V2_TO_V1, T0.plusSeconds(20), OperationState.COMPLETE, null, "a");
        Operation requestedEarlier = operation(Direction.V1_TO_V2, T0.plusSeconds(10), OperationState.UNKNOWN);
        assertThat(OperationReconciler.before(List.of(migrated, reversed, requestedEarlier), Map.of(), requestedEarlier).migrated())
                .contains(false);

        Operation movedOn = operation(Direction.V1_TO_V2, T0.plusSeconds(20), OperationState.COMPLETE, null, "b");
        Operation reversal = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.UNKNOWN);
        assertThat(OperationReconciler.lastMigrationAccount(List.of(migrated, movedOn, reversal), Map.of(), reversal)).contains("b");
    }

    /**
     * A FAILED operation changed nothing only when its answer shows Domo did nothing with it; after a
     * gateway's 502 or 504, a 500 or an unreadable 200, Domo may have carried it out behind it.
     */
    @Test
    void aFailureDomoMayHaveActedOnLeavesTheStateBeforeUnknown() {
        Operation migrated = operation(Direction.V1_TO_V2, T0, OperationState.COMPLETE);
        Operation later = operation(Direction.V1_TO_V2, T0.plusSeconds(30), OperationState.UNKNOWN);
        for (Integer refused : new Integer[] { null, 302, 400, 401, 403, 404, 409, 429 }) {
            Operation failed = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.FAILED, refused);
            assertThat(failed.mayHaveTakenEffect(null)).as("FAILED on %s", refused).isFalse();
            assertThat(OperationReconciler.before(List.of(migrated, failed), Map.of(), later).migrated()).as("FAILED on %s", refused)
                    .contains(true);
        }
        for (int behindIt : new int[] { 200, 500, 502, 503, 504 }) {
            Operation failed = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.FAILED, behindIt);
            assertThat(failed.mayHaveTakenEffect(null)).as("FAILED on %s", behindIt).isTrue();
            assertThat(OperationReconciler.before(List.of(migrated, failed), Map.of(), later).migrated()).as("FAILED on %s", behindIt)
                    .isEmpty();
        }
    }

    /**
     * An operation resolved before Domo's answer could be written keeps its resolution, and the
     * answer goes into the chain as a LATE_OUTCOME: where that answer contradicts the resolution, what
     * the operation left is not known (the rule the rollback and scope checks follow in SQL).
     */
    @Test
    void aLateAnswerThatContradictsTheResolutionLeavesTheStateBeforeUnknown() {
        Operation migrated = operation(Direction.V1_TO_V2, T0, OperationState.COMPLETE, null, "a");
        Operation reversed = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.COMPLETE);
        Operation resolvedAborted = resolved(operation(Direction.V1_TO_V2, T0.plusSeconds(20), OperationState.PENDING,
                null, "b"), OperationState.ABORTED);
        Operation later = operation(Direction.V2_TO_V1, T0.plusSeconds(30), OperationState.UNKNOWN);
        List<Operation> history = List.of(migrated, reversed, resolvedAborted, later);

        assertThat(OperationReconciler.before(history, Map.of(), later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(false), false));
        assertThat(OperationReconciler.lastMigrationAccount(history, Map.of(), later)).contains("a");
        Map<UUID, Operation.LateAnswer> completed = Map.of(resolvedAborted.operationId(),
                new Operation.LateAnswer(OperationState.COMPLETE, 200));
        assertThat(OperationReconciler.before(history, completed, later))
                .isEqualTo(new OperationReconciler.Before(Optional.empty(), true));
        assertThat(OperationReconciler.lastMigrationAccount(history, completed, later)).contains("b");
        // A late answer that shows Domo refused it agrees with ABORTED.
        Map<UUID, Operation.LateAnswer> refused = Map.of(resolvedAborted.operationId(),
                new Operation.LateAnswer(OperationState.FAILED, 409));
        assertThat(OperationReconciler.before(history, refused, later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(false), false));
        assertThat(OperationReconciler.lastMigrationAccount(history, refused, later)).contains("a");

        // Resolved COMPLETE, answered FAILED on a 5xx: it may have acted, and did not certainly.
        Operation resolvedComplete = resolved(operation(Direction.V1_TO_V2, T0.plusSeconds(20), OperationState.UNKNOWN,
                null, "b"), OperationState.COMPLETE);
        List<Operation> other = List.of(migrated, reversed, resolvedComplete, later);
        assertThat(OperationReconciler.before(other, Map.of(), later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(true), false));
        assertThat(OperationReconciler.before(other, Map.of(resolvedComplete.operationId(),
                new Operation.LateAnswer(OperationState.FAILED, 502)), later))
                .isEqualTo(new OperationReconciler.Before(Optional.empty(), true));
        assertThat(OperationReconciler.before(other, Map.of(resolvedComplete.operationId(),
                new Operation.LateAnswer(OperationState.COMPLETE, 200)), later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(true), false));
    }

    @Test
    void migrationDatesAreReadOnlyWhenTheyTellAnInstant() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        assertThat(OperationReconciler.instant(json.textNode("2026-11-29T10:00:00Z"))).contains(T0);
        assertThat(OperationReconciler.instant(json.textNode("2026-11-29T11:00:00+01:00"))).contains(T0);
        assertThat(OperationReconciler.instant(json.numberNode(T0.toEpochMilli()))).contains(T0);
        assertThat(OperationReconciler.instant(json.textNode("2026-11-29T10:00:00"))).isEmpty();
        assertThat(OperationReconciler.instant(json.nullNode())).isEmpty();
        // Epoch seconds would be January 1970 as milliseconds, "before the request": they tell nothing.
        assertThat(OperationReconciler.instant(json.numberNode(T0.getEpochSecond()))).isEmpty();
        assertThat(OperationReconciler.instant(json.numberNode(-1L))).isEmpty();
    }

    private static Operation resolved(Operation operation, OperationState as) {
        return new Operation(operation.operationId(), operation.intent(), operation.outcome(),
                new Operation.Reconciliation(as, operation.requestedAt().plusSeconds(5), "resolved", null), null, null);
    }

    private static Operation operation(Direction direction, Instant at, OperationState state) {
        return operation(direction, at, state, null);
    }

    private static Operation operation(Direction direction, Instant at, OperationState state, Integer upstreamStatus) {
        return operation(direction, at, state, upstreamStatus, "1");
    }

    private static Operation operation(Direction direction, Instant at, OperationState state, Integer upstreamStatus,
            String account) {
        return new Operation(UUID.randomUUID(), new OperationIntent(direction, "ds", account, null, null, null, "p", at, "r",
                "jwt", null, null, null), new Outcome(state, null, null, null, null, upstreamStatus, null, null), null, null,
                null);
    }
}
