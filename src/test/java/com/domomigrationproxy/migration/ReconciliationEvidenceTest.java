package com.domomigrationproxy.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
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

        assertThat(OperationReconciler.before(List.of(migrated), later).migrated()).contains(true);
        assertThat(OperationReconciler.before(List.of(migrated, refused), later).migrated()).contains(true);
        assertThat(OperationReconciler.before(List.of(migrated, refused, unknown), later).migrated()).isEmpty();
        assertThat(OperationReconciler.before(List.of(migrated, refused, unknown), later).earlierMayHaveActed()).isTrue();
        assertThat(OperationReconciler.before(List.of(), later).migrated()).isEmpty();
        assertThat(OperationReconciler.before(List.of(), later).earlierMayHaveActed()).isFalse();
        Operation reversedSince = operation(Direction.V2_TO_V1, T0.plusSeconds(25), OperationState.COMPLETE);
        assertThat(OperationReconciler.before(List.of(migrated, unknown, reversedSince), later))
                .isEqualTo(new OperationReconciler.Before(Optional.of(false), false));
        assertThat(OperationReconciler.before(List.of(migrated, later), migrated).migrated()).isEmpty();
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
        assertThat(OperationReconciler.before(List.of(migrated, reversed, requestedEarlier), requestedEarlier).migrated())
                .contains(false);

        Operation movedOn = operation(Direction.V1_TO_V2, T0.plusSeconds(20), OperationState.COMPLETE, null, "b");
        Operation reversal = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.UNKNOWN);
        assertThat(OperationReconciler.lastMigrationAccount(List.of(migrated, movedOn, reversal), reversal)).contains("b");
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
            assertThat(failed.mayHaveTakenEffect()).as("FAILED on %s", refused).isFalse();
            assertThat(OperationReconciler.before(List.of(migrated, failed), later).migrated()).as("FAILED on %s", refused)
                    .contains(true);
        }
        for (int behindIt : new int[] { 200, 500, 502, 503, 504 }) {
            Operation failed = operation(Direction.V2_TO_V1, T0.plusSeconds(10), OperationState.FAILED, behindIt);
            assertThat(failed.mayHaveTakenEffect()).as("FAILED on %s", behindIt).isTrue();
            assertThat(OperationReconciler.before(List.of(migrated, failed), later).migrated()).as("FAILED on %s", behindIt)
                    .isEmpty();
        }
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
