package com.domomigrationproxy.plans;

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
import com.domomigrationproxy.ledger.OperationStatus;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;

/** The content hash's canonical form (docs/plans.md pins the same example) and how an item follows its operation. */
class PlanContentTest {

    @Test
    void theCanonicalFormSortsMembersKeepsItemOrderAndEscapesOnlyWhatJsonRequires() {
        // A character outside the Basic Multilingual Plane is written as itself too, as jq -cS writes it.
        PlanContent content = new PlanContent("Wave 1: \"EU\" café \uD83D\uDE00", Direction.V1_TO_V2, 4, List.of(
                new PlanItemSpec("ds-2", "2", "sales", "NULL", "orders/2024"),
                new PlanItemSpec("ds-1", "2", "sales", "NULL", "customers")));
        String canonical = "{\"direction\":\"V1_TO_V2\",\"items\":["
                + "{\"accountId\":\"2\",\"catalog\":\"sales\",\"datasourceId\":\"ds-2\",\"schema\":\"NULL\",\"table\":\"orders/2024\"},"
                + "{\"accountId\":\"2\",\"catalog\":\"sales\",\"datasourceId\":\"ds-1\",\"schema\":\"NULL\",\"table\":\"customers\"}],"
                + "\"maxConcurrency\":4,\"name\":\"Wave 1: \\\"EU\\\" café \uD83D\uDE00\"}";
        assertThat(content.canonicalJson()).isEqualTo(canonical);
        assertThat(content.contentHash()).isEqualTo(Sha256.hex(canonical)).matches("[0-9a-f]{64}");
        // How plans made before that was mended were hashed, which their start still accepts.
        assertThat(content.contentHashWithEscapedSurrogates())
                .isEqualTo(Sha256.hex(canonical.replace("\uD83D\uDE00", "\\uD83D\\uDE00")));
    }

    @Test
    void theDocumentedExampleHashesAsDocsPlansMdSays() {
        PlanContent example = new PlanContent("Wave 1", Direction.V1_TO_V2, 4, List.of(
                new PlanItemSpec("495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01", "2", "sales", "NULL", "orders")));
        assertThat(example.canonicalJson()).isEqualTo("{\"direction\":\"V1_TO_V2\",\"items\":[{\"accountId\":\"2\","
                + "\"catalog\":\"sales\",\"datasourceId\":\"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01\",\"schema\":\"NULL\","
                + "\"table\":\"orders\"}],\"maxConcurrency\":4,\"name\":\"Wave 1\"}");
        assertThat(example.contentHash()).isEqualTo(DOCUMENTED_HASH);
    }

    /** The hash docs/plans.md shows for its example; a change of the canonical form changes it. */
    static final String DOCUMENTED_HASH = "47ff8fa82a490f9db0c4eb52d49897eee6a4e92f1042431eb094a94ea9c4bbb8";

    @Test
    void anyChangeOfContentOrSettingsIsAnotherHash() {
        PlanContent base = new PlanContent("w", Direction.V1_TO_V2, 4, List.of(new PlanItemSpec("a", "1", "c", "s", "t"),
                new PlanItemSpec("b", "1", "c", "s", "t")));
        assertThat(List.of(
                new PlanContent("w2", Direction.V1_TO_V2, 4, base.items()),
                new PlanContent("w", Direction.V1_TO_V2, 5, base.items()),
                new PlanContent("w", Direction.V1_TO_V2, 4, List.of(base.items().get(1), base.items().get(0))),
                new PlanContent("w", Direction.V1_TO_V2, 4, List.of(new PlanItemSpec("a", "1", "c", "s", "T"),
                        base.items().get(1)))))
                .extracting(PlanContent::contentHash).doesNotContain(base.contentHash()).doesNotHaveDuplicates();
        PlanContent reversal = new PlanContent("r", Direction.V2_TO_V1, 4, List.of(PlanItemSpec.reversal("a")));
        assertThat(reversal.canonicalJson()).isEqualTo("{\"direction\":\"V2_TO_V1\",\"items\":[{\"datasourceId\":\"a\"}],"
                + "\"maxConcurrency\":4,\"name\":\"r\"}");
    }

    @Test
    void anItemFollowsItsOperation() {
        assertThat(PlanExecutor.settledState(operation(OperationState.PENDING, null, null), ItemState.RUNNING)).isEmpty();
        assertThat(PlanExecutor.settledState(operation(OperationState.COMPLETE, 200, null), ItemState.RUNNING))
                .contains(ItemState.COMPLETE);
        assertThat(PlanExecutor.settledState(operation(OperationState.UNKNOWN, null, null), ItemState.RUNNING))
                .contains(ItemState.UNKNOWN);
        assertThat(PlanExecutor.settledState(operation(OperationState.UNKNOWN, null, OperationState.ABORTED),
                ItemState.UNKNOWN)).contains(ItemState.ABORTED);
        assertThat(PlanExecutor.settledState(operation(OperationState.PENDING, null, OperationState.COMPLETE),
                ItemState.RUNNING)).contains(ItemState.COMPLETE);
        // Domo's 429: nothing happened at Domo, the item waits for its turn again.
        assertThat(PlanExecutor.settledState(operation(OperationState.FAILED, 429, null), ItemState.RUNNING))
                .contains(ItemState.WAITING);
        assertThat(PlanExecutor.settledState(operation(OperationState.FAILED, 500, null), ItemState.RUNNING))
                .isEqualTo(Optional.of(ItemState.FAILED));
    }

    private static OperationStatus operation(OperationState state, Integer upstreamStatus, OperationState reconciled) {
        OperationIntent intent = OperationIntent.reversal("ds", new Requester("p", "jwt", "r", null, Scopes.UNRESTRICTED));
        Outcome outcome = new Outcome(state, null, null, null, null, upstreamStatus, null, null);
        Operation.Reconciliation reconciliation = reconciled == null ? null
                : new Operation.Reconciliation(reconciled, Instant.now(), "checked", null);
        return OperationStatus.of(new Operation(UUID.randomUUID(), intent, outcome, reconciliation, null, null));
    }
}
